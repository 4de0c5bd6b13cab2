"""Reply drafts without an LLM: a greeting, the extracted answer, the compensation, a sign-off,
in the customer's language (ru, uk, ro, en; anything else falls back to en). The words are the
``draft.*`` messages of the catalogue (``core.i18n``); amounts are written by Babel in that
language with the policy's currency."""

from __future__ import annotations

from core import i18n
from core.compensation.policy import Offer
from core.compensation.wording import items_text

detect_language = i18n.detect_language


def render_draft(*, language: str, name: str | None, body: str | None, offer: Offer | None) -> str:
    def t(key: str, **values: object) -> str:
        return i18n.text(language, f"draft.{key}", **values)

    lines = [f"{t('hello')}, {name}!" if name else f"{t('hello')}!"]
    if offer is not None and offer.items:
        lines.append(t("sorry"))
    lines.append(body.strip() if body and body.strip() else t("none"))
    if offer is not None and offer.items:
        lines.append(t("offer", items=items_text(offer.items, offer.currency, language)))
    lines.append(t("bye"))
    return "\n".join(lines)
