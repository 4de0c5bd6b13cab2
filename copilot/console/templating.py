"""The console's templates in the operator's language. Its words are a gettext catalogue
(``copilot/console/locales/<language>/LC_MESSAGES/console.po``, English message ids, the template
``console.pot`` extracted from the templates by Babel), read with Babel and installed in Jinja2's
i18n extension; money and the words of an offer come from ``core.i18n`` in the customer's
language (the case's), as the reply draft writes them.

The language: the operator's choice (``?lang=``, kept in a cookie), else the browser's
Accept-Language, else ``CXC_CONSOLE_LANGUAGE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Annotated, Any

from babel.core import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context
from jinja2.runtime import Context

from copilot.deps import SettingsDep
from core import i18n
from core.compensation.policy import OfferItem
from core.compensation.wording import items_text, localized

HERE = Path(__file__).parent
LOCALES = HERE / "locales"
LANGUAGES = ("en", "ru")
COOKIE = "cxc_console_lang"
FIELDS = ("type", "amount", "value")


@cache
def translations(language: str) -> NullTranslations:
    """The console's catalogue for one language (English: the message ids themselves)."""
    path = LOCALES / language / "LC_MESSAGES" / "console.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as f:
        catalog = read_po(f, locale=language, domain="console")
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="console")


def console_language(request: Request, settings: SettingsDep) -> str:
    chosen = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return str(chosen)
    header = request.headers.get("accept-language", "")
    preferred = [p.split(";")[0].strip().replace("-", "_") for p in header.split(",") if p]
    return negotiate_locale(preferred, LANGUAGES, sep="_") or settings.console_language


ConsoleLanguage = Annotated[str, Depends(console_language)]


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(context.get("lang", "en")).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", "en")).ngettext(singular, plural, n)


def _offer_items(items: Sequence[Any], currency: str, language: str) -> str:
    """Stored items (dicts) or shown ones (``OfferItemOut``), as the draft words them."""
    rows = [i if isinstance(i, Mapping) else {k: getattr(i, k) for k in FIELDS} for i in items]
    return items_text(OfferItem.stored(rows), currency, language)


_env = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=True, extensions=["jinja2.ext.i18n"]
)
_env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
templates = Jinja2Templates(env=_env)
templates.env.filters["money"] = lambda amount, currency, language="en": i18n.money(
    float(amount), currency, language
)
templates.env.filters["offer_items"] = _offer_items
templates.env.filters["label"] = lambda value, language, default="": localized(
    value, language, default
)


def render(request: Request, name: str, lang: str, context: dict[str, Any]) -> HTMLResponse:
    """A page or fragment in ``lang``; a language the operator chose is remembered."""
    response = templates.TemplateResponse(request, name, {**context, "lang": lang})
    if request.query_params.get("lang") == lang:
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="strict")
    return response


def texts(lang: str, messages: Sequence[str]) -> dict[str, str]:
    """The script's messages in ``lang``, keyed by their English text."""
    table = translations(lang)
    return {m: table.gettext(m) for m in messages}
