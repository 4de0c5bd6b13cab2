"""Everything the product says to customers, in Russian, Ukrainian, Romanian and English, from
one gettext catalogue (``core/locales/<language>/LC_MESSAGES/cxc.po``, template ``cxc.pot``),
read with Babel when first used. Message ids name the text (``bot.greet_new``, ``pulse.csat``,
``draft.hello``); values are ``str.format`` fields (``{case}``). Money is formatted by Babel in
the customer's language with the currency of the policy or order (docs/i18n.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.core import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "cxc"
LANGUAGES = ("ru", "uk", "ro", "en")
DEFAULT = "en"


def language_of(code: str | None) -> str:
    """A language tag ('ru', 'en-US', 'uk_UA') -> one of LANGUAGES (else the default)."""
    short = (code or "").replace("_", "-").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT


def detect_language(text: str) -> str:
    """The language a text is written in, by its letters: uk, ru, ro, else en."""
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[а-яА-ЯёЁ]", text):
        return "ru"
    if re.search(r"[ăâîșțşţĂÂÎȘȚŞŢ]", text):
        return "ro"
    return DEFAULT


@cache
def catalogue(language: str) -> dict[str, str]:
    """The translated messages of one language (untranslated and fuzzy ones left out)."""
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain=DOMAIN)
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
    }


@cache
def message_ids() -> frozenset[str]:
    """Every message id of the template (``cxc.pot``)."""
    with (LOCALES / f"{DOMAIN}.pot").open("rb") as f:
        return frozenset(str(m.id) for m in read_po(f) if m.id)


def has(message_id: str) -> bool:
    return message_id in catalogue(DEFAULT)


def text(language: str | None, message_id: str, **values: object) -> str:
    """The message in ``language`` (English when the language or the message is missing)."""
    table = catalogue(language_of(language))
    template = table.get(message_id) or catalogue(DEFAULT)[message_id]
    return template.format(**values)


def money(amount: float, currency: str, language: str | None) -> str:
    """``500 ₽``, ``12,50 ₴``, ``RUB500``: whole amounts without decimals, as Babel writes them
    for the language."""
    locale = Locale.parse(language_of(language))
    if float(amount).is_integer():
        pattern = locale.currency_formats["standard"].pattern
        whole = pattern.replace(".00", "")
        return format_currency(amount, currency, format=whole, locale=locale, currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def number(value: float, language: str | None) -> str:
    return format_decimal(value, locale=language_of(language))


def date(value: datetime, language: str | None) -> str:
    """A day as the language writes it (``12 мая 2026 г.``, ``May 12, 2026``)."""
    return format_date(value, format="long", locale=language_of(language))
