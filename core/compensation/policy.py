"""The compensation policy as data (YAML, versioned in the database) and its pure evaluation.

:func:`evaluate` turns the facts of one case (issue type, order and affected values, customer
tier, lifetime value, churn risk, compensations already given) into an :class:`Offer`: what to
give, how much, why in plain words, and whether a supervisor must approve it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.compensation import wording
from core.errors import InvalidInput

DEFAULT_POLICY = Path(__file__).resolve().parents[1] / "policy" / "compensation.yaml"
OFFER_TYPES = ("promo_code", "refund", "free_delivery", "loyalty_points")
ISSUE_TYPES = ("missing_item", "late_delivery", "damaged_item", "wrong_charge", "service_outage")


@dataclass(frozen=True, slots=True)
class Facts:
    issue_type: str
    order_id: str | None = None
    order_value: float | None = None
    affected_value: float | None = None
    affected_items: tuple[str, ...] = ()
    tier: str = "standard"
    lifetime_value: float = 0.0
    churn_risk: bool = False
    recent_compensations: int = 0


@dataclass(frozen=True, slots=True)
class OfferItem:
    type: str
    amount: float
    value: float
    """Worth in the policy currency (points are converted with ``point_value``)."""

    @classmethod
    def stored(cls, items: Sequence[Mapping[str, Any]]) -> tuple[OfferItem, ...]:
        """The items as a ``Compensation`` row keeps them (``{"type", "amount", "value"}``)."""
        return tuple(
            cls(type=str(i["type"]), amount=float(i["amount"]), value=float(i["value"]))
            for i in items
        )


@dataclass(frozen=True, slots=True)
class Offer:
    issue_type: str
    items: tuple[OfferItem, ...]
    value: float
    currency: str
    reason: str
    requires_approval: bool
    policy_version: int
    notes: tuple[str, ...] = field(default=())


def load_policy_file(path: Path = DEFAULT_POLICY) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path}: cannot read the policy: {exc}") from None
    validate_policy(document)
    return dict(document)


def validate_policy(document: Any) -> None:
    if not isinstance(document, dict):
        raise InvalidInput("the policy must be a mapping")
    for key in ("currency", "approval_limits", "issue_types", "rules"):
        if key not in document:
            raise InvalidInput(f"the policy has no {key!r}")
    for issue, rule in document["rules"].items():
        if issue not in document["issue_types"]:
            raise InvalidInput(f"rule {issue!r} names an issue type the policy does not define")
        for offer in rule.get("offers", []):
            if offer.get("type") not in OFFER_TYPES:
                raise InvalidInput(f"rule {issue!r}: offer type must be one of {OFFER_TYPES}")


def detect_issue(document: dict[str, Any], text: str) -> str | None:
    """The first issue type whose keywords occur in ``text`` (case-insensitive)."""
    lowered = text.lower()
    for issue, spec in document["issue_types"].items():
        if any(str(k).lower() in lowered for k in spec.get("keywords", [])):
            return str(issue)
    return None


def approval_limit(document: dict[str, Any], role: str, override: float | None = None) -> float:
    if override is not None:
        return override
    return float(document["approval_limits"].get(role, 0.0))


def evaluate(
    document: dict[str, Any],
    facts: Facts,
    *,
    version: int,
    limit: float,
    language: str | None = None,
) -> Offer:
    """The offer for the facts; its reason is worded in ``language`` (the customer's)."""
    rule = document["rules"].get(facts.issue_type)
    if rule is None:
        raise InvalidInput(f"the policy has no rule for issue type {facts.issue_type!r}")
    base = _base(rule.get("base", "none"), facts)
    factor, force_approval, notes = _modifiers(document, facts, language)
    items = tuple(_item(document, spec, base, factor) for spec in rule.get("offers", []))
    items = tuple(i for i in items if i.amount > 0)
    value = round(sum(i.value for i in items), 2)
    return Offer(
        issue_type=facts.issue_type,
        items=items,
        value=value,
        currency=str(document["currency"]),
        reason=wording.reason_text(document, facts, items, notes, language),
        requires_approval=force_approval or value > limit,
        policy_version=version,
        notes=tuple(notes),
    )


def _base(kind: str, facts: Facts) -> float:
    if kind == "none":
        return 0.0
    value = facts.affected_value if kind == "affected" else facts.order_value
    if value is None:
        what = "the affected items'" if kind == "affected" else "the order's"
        raise InvalidInput(
            f"{facts.issue_type}: {what} value is unknown (no order data on the customer or "
            "in the CRM); pass affected_amount"
        )
    return float(value)


def _modifiers(
    document: dict[str, Any], facts: Facts, language: str | None
) -> tuple[float, bool, list[str]]:
    factor, force, notes = 1.0, False, []
    window = document.get("window_days", 90)
    for mod in document.get("modifiers", []):
        when = mod.get("when", {})
        if not _applies(when, facts):
            continue
        factor *= float(mod.get("multiply", 1.0))
        force = force or bool(mod.get("require_approval", False))
        note = wording.localized(mod.get("note"), language, "")
        notes.append(
            note.format(tier=facts.tier, recent=facts.recent_compensations, window_days=window)
        )
    return factor, force, notes


def _applies(when: dict[str, Any], facts: Facts) -> bool:
    checks = {
        "tier": lambda v: facts.tier in v,
        "lifetime_value_at_least": lambda v: facts.lifetime_value >= float(v),
        "churn_risk": lambda v: facts.churn_risk == bool(v),
        "recent_compensations_at_least": lambda v: facts.recent_compensations >= int(v),
    }
    return bool(when) and all(checks[k](v) for k, v in when.items() if k in checks)


def _item(document: dict[str, Any], spec: dict[str, Any], base: float, factor: float) -> OfferItem:
    kind = spec["type"]
    if "fixed" in spec:
        amount = float(spec["fixed"])
    elif "value" in spec:
        amount = float(spec["value"])
    else:
        amount = base * float(spec.get("percent_of_base", 100)) / 100
    if kind in ("promo_code", "loyalty_points"):
        amount *= factor
    amount = max(amount, float(spec.get("min", 0))) if amount > 0 else 0.0
    if "max" in spec:
        amount = min(amount, float(spec["max"]))
    step = float(spec.get("round_to", 1))
    amount = math.ceil(amount / step) * step if kind != "refund" else round(amount, 2)
    value = amount * float(document.get("point_value", 1.0)) if kind == "loyalty_points" else amount
    return OfferItem(type=kind, amount=amount, value=round(value, 2))
