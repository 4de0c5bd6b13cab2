"""The one catalogue: every message id of the template is translated in all four languages
with the same fields, the bot, pulses, the survey page and the drafts read it, and money is
written in the customer's language with the policy's currency, never a fixed ₽."""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.pofile import read_po

from bot.texts import render_reply, t
from core import i18n
from core.compensation.policy import Offer, OfferItem
from core.conversation.replies import Reply, ReplyKind
from core.desk.drafts import detect_language, render_draft
from core.feedback import pulse_texts


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_id_is_translated_in_every_language(language: str) -> None:
    path = i18n.LOCALES / language / "LC_MESSAGES" / "cxc.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    assert not catalog.fuzzy
    ids = i18n.message_ids()
    assert len(ids) >= 50
    translated = i18n.catalogue(language)
    assert set(translated) == ids, f"missing in {language}: {sorted(ids - set(translated))}"
    english = i18n.catalogue("en")
    for message_id in ids:
        assert _fields(translated[message_id]) == _fields(english[message_id]), message_id


def test_texts_come_from_the_catalogue_in_each_language() -> None:
    assert t("ro", "btn_human") == "Vorbește cu un om"
    assert t("uk-UA", "btn_human") == "Зв'язатися з людиною"
    assert t("de", "btn_human") == "Talk to a person"  # unknown language: English
    assert pulse_texts.text("ro", "thanks") == "Vă mulțumim pentru părere!"
    assert pulse_texts.text("uk", "link", link="L").endswith(": L")
    reply = Reply(kind=ReplyKind.RESOLVED, case_id=1, customer_id=1, language="ro")
    assert render_reply(reply) == "Mă bucur că a ajutat!"


def _offer(currency: str) -> Offer:
    items = (
        OfferItem(type="promo_code", amount=500, value=500),
        OfferItem(type="loyalty_points", amount=1500, value=150),
    )
    return Offer("late_delivery", items, 650, currency, "why", False, 1)


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("ru", "RUB", "промокод на 500\xa0₽"),
        ("uk", "UAH", "промокод на 500\xa0₴"),
        ("ro", "MDL", "un cod promoțional de 500\xa0MDL"),
        ("en", "EUR", "a promo code for €500"),
    ],
)
def test_drafts_write_money_in_the_language_with_the_policy_currency(
    language: str, currency: str, expected: str
) -> None:
    draft = render_draft(language=language, name="Ana", body="Body.", offer=_offer(currency))
    assert expected in draft
    assert currency == "RUB" or "₽" not in draft
    assert re.search(r"1[\s\xa0.,]500", draft)  # points with the language's grouping


def test_ro_drafts_and_detection() -> None:
    assert detect_language("Unde este comanda mea? Nu a sosit încă") == "ro"
    draft = render_draft(language="ro", name=None, body=None, offer=None)
    assert draft.splitlines() == [
        "Bună ziua!",
        "Analizăm solicitarea dvs. și revenim în curând cu un răspuns.",
        "O zi bună!",
    ]


def test_fractional_amounts_keep_their_cents() -> None:
    assert i18n.money(12.5, "UAH", "uk") == "12,50\xa0₴"
