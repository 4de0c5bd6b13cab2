"""What an offer says, in the customer's language: its items in the words of the reply draft
(``draft.promo_code``: "промокод на 1 800 ₽") and the reason shown to the operator
(``offer.*``), with every amount written by :func:`core.i18n.money`. The draft, the offer's
reason and the console's list of compensations all use these, so an offer reads the same
everywhere: the same items, the same amounts, one money format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from core import i18n

if TYPE_CHECKING:  # the policy imports this module to word its offers
    from core.compensation.policy import Facts, OfferItem


def item_text(item: OfferItem, currency: str, language: str | None) -> str:
    """One item: "a promo code for €500", "промокод на 1 800 ₽", "300 бонусных баллов"."""
    amount = i18n.money(item.amount, currency, language)
    points = i18n.number(item.amount, language)
    return i18n.text(language, f"draft.{item.type}", amount=amount, points=points)


def items_text(items: Iterable[OfferItem], currency: str, language: str | None) -> str:
    """The items joined as the draft joins them ("… и бесплатную доставку …")."""
    joiner = i18n.text(language, "draft.and")
    return joiner.join(item_text(i, currency, language) for i in items)


def localized(value: Any, language: str | None, default: str) -> str:
    """A policy label: a plain string, or one per language (``{en: …, ru: …}``)."""
    if isinstance(value, Mapping):
        found = value.get(i18n.language_of(language)) or value.get(i18n.DEFAULT)
        return str(found) if found else default
    return str(value) if value else default


def reason_text(
    document: Mapping[str, Any],
    facts: Facts,
    items: Sequence[OfferItem],
    notes: Sequence[str],
    language: str | None,
) -> str:
    """Why this offer, for the operator: the issue, the affected items and their worth, the
    order, what is offered, and the modifiers that changed it."""
    currency = str(document["currency"])
    label = document["issue_types"][facts.issue_type].get("label")
    what = localized(label, language, facts.issue_type)
    parts = [what[:1].upper() + what[1:]]
    if facts.affected_items:
        names = ", ".join(facts.affected_items)
        if facts.affected_value is not None:
            worth = i18n.money(facts.affected_value, currency, language)
            parts.append(i18n.text(language, "offer.items_worth", items=names, amount=worth))
        else:
            parts.append(f"({names})")
    if facts.order_id:
        parts.append(i18n.text(language, "offer.in_order", order=facts.order_id))
    offered = items_text(items, currency, language) or i18n.text(language, "offer.nothing")
    text = i18n.text(language, "offer.summary", what=" ".join(parts), offers=offered)
    promo = next((i for i in items if i.type == "promo_code"), None)
    if promo and facts.affected_value and promo.amount > facts.affected_value:
        text += " " + i18n.text(language, "offer.more_than_missing")
    if notes:
        text += " " + i18n.text(language, "offer.adjusted", notes="; ".join(notes))
    return text
