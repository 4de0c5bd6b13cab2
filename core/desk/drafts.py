"""Reply drafts without an LLM: a greeting, the extracted answer, the compensation, a sign-off,
in the customer's language (ru, uk, ro, en; anything else falls back to en). The words are the
``draft.*`` messages of the catalogue (``core.i18n``); amounts are written by Babel in that
language with the policy's currency."""

from __future__ import annotations

import re

from core import i18n
from core.compensation.policy import Offer, OfferItem


def detect_language(text: str) -> str:
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[а-яА-ЯёЁ]", text):
        return "ru"
    if re.search(r"[ăâîșțşţĂÂÎȘȚŞŢ]", text):
        return "ro"
    return "en"


def render_draft(*, language: str, name: str | None, body: str | None, offer: Offer | None) -> str:
    def t(key: str, **values: object) -> str:
        return i18n.text(language, f"draft.{key}", **values)

    lines = [f"{t('hello')}, {name}!" if name else f"{t('hello')}!"]
    if offer is not None and offer.items:
        lines.append(t("sorry"))
    lines.append(body.strip() if body and body.strip() else t("none"))
    if offer is not None and offer.items:
        items = t("and").join(_item(i, offer.currency, language) for i in offer.items)
        lines.append(t("offer", items=items))
    lines.append(t("bye"))
    return "\n".join(lines)


def _item(item: OfferItem, currency: str, language: str) -> str:
    amount = i18n.money(item.amount, currency, language)
    points = i18n.number(item.amount, language)
    return i18n.text(language, f"draft.{item.type}", amount=amount, points=points)
