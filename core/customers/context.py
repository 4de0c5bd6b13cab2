"""What an operator should know about a customer before answering: orders, open and overdue
promises, past compensations, satisfaction history and a churn-risk flag with its reasons.

:class:`CaseContext` is that knowledge about one case, loaded once per request
(``core.compensation.case_context.load_case_context``) and handed to whatever the request
does with it: the case view, the suggestions, the compensation offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy import case as when
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import BackendUnavailable
from core.models import (
    Case,
    ChannelIdentity,
    CompensationPolicy,
    CrmCase,
    Customer,
    CustomerOrder,
    Promise,
    PromiseStatus,
)
from core.models.base import utcnow
from core.ports import CrmConnector, CrmRecord
from core.reports.churn import customer_churn

CHURN_WINDOW = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class ChurnRisk:
    flag: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CrmHistory:
    records: list[CrmRecord]
    error: str | None = None
    """Why the CRM could not be asked (the records are then empty)."""


@dataclass(frozen=True, slots=True)
class CaseContext:
    """One case with its customer, their identities, their CRM history and orders, the
    churn-risk figures and the active compensation policy."""

    case: Case
    customer: Customer
    identities: list[ChannelIdentity]
    crm: CrmHistory
    orders: list[dict[str, Any]]
    """From the customer's attributes, then from the CRM (newest last)."""
    churn: ChurnRisk
    policy: CompensationPolicy
    crm_cases: list[CrmCase] = field(default_factory=list)
    """The customer's stored CRM cases (a sync or an import), newest first."""

    @property
    def customer_id(self) -> int:
        assert self.customer.id is not None
        return self.customer.id


async def crm_history(
    crm: CrmConnector | None, identities: Sequence[ChannelIdentity]
) -> CrmHistory:
    """The customer's CRM records, asked with this customer's identities only."""
    if crm is None:
        return CrmHistory([])
    try:
        return CrmHistory(
            await crm.customer_history([(i.channel, i.external_id) for i in identities])
        )
    except BackendUnavailable as exc:
        return CrmHistory([], str(exc))


def orders_of(
    customer: Customer,
    records: Sequence[CrmRecord],
    stored: Sequence[CustomerOrder] = (),
) -> list[dict[str, Any]]:
    """The customer's orders, newest last: from their attributes, then the stored orders (a CRM
    sync or an import, oldest first), then the CRM's live records."""
    attrs = customer.attributes or {}
    orders = [o for o in attrs.get("orders", []) if isinstance(o, dict)]
    last = attrs.get("last_order")
    if isinstance(last, dict) and last not in orders:
        orders.append(last)
    known = {str(o.get("id")) for o in orders}
    for order in stored:
        if order.number not in known:
            orders.append(order_dict(order))
            known.add(order.number)
    for rec in records:
        if rec.kind == "order" and rec.external_id not in known:
            orders.append({"id": rec.external_id, **rec.data})
    return orders


def order_dict(order: CustomerOrder) -> dict[str, Any]:
    """A stored order as the case context's orders are (``{"id", "total", "items", ...}``)."""
    when = {
        name: value.isoformat() if (value := getattr(order, name)) is not None else None
        for name in ("placed_at", "promised_at", "delivered_at")
    }
    return {
        "id": order.number,
        "status": order.status,
        "total": order.total,
        "currency": order.currency,
        "items": list(order.items),
        "delivery_region": order.delivery_region,
        "source": order.source,
        **when,
    }


def case_record(case: CrmCase) -> CrmRecord:
    """A past CRM case as a record of the customer's CRM history."""
    data = {"status": case.status, "outcome": case.outcome, "source": case.source}
    return CrmRecord("case", case.external_id, case.opened_at, case.subject, data)


def pick_order(customer: Customer, orders: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The order the customer came about (deep link ``order_<id>``), else the latest one."""
    wanted = (customer.attributes or {}).get("order")
    for order in orders:
        if wanted is not None and str(order.get("id")) == str(wanted):
            return order
    return orders[-1] if orders else None


def csat_history(customer: Customer) -> list[dict[str, Any]]:
    """Survey answers kept on the customer (``attributes["csat"]``: [{"case_id", "score"}])."""
    return [c for c in (customer.attributes or {}).get("csat", []) if isinstance(c, dict)]


async def promise_counts(session: AsyncSession, *, customer_id: int) -> dict[str, int]:
    """The customer's promises by status, and ``overdue``: open ones past their due time (one
    query)."""
    overdue = and_(col(Promise.status) == PromiseStatus.OPEN, col(Promise.due_at) < utcnow())
    stmt = (
        select(Promise.status, func.count(), func.count(when((overdue, 1))))
        .where(Promise.customer_id == customer_id)
        .group_by(Promise.status)
    )
    counts = {str(s): 0 for s in PromiseStatus} | {"overdue": 0}
    for status, n, late in (await session.exec(stmt)).all():
        counts[status] = int(n)
        counts["overdue"] += int(late)
    return counts


async def churn_risk(session: AsyncSession, *, customer: Customer) -> ChurnRisk:
    """The flag of the supervisors' churn-risk list (``core.reports.churn``), plus what the
    customer's own record says."""
    assert customer.id is not None
    reasons: list[str] = []
    attrs = customer.attributes or {}
    if attrs.get("churn_risk"):
        reasons.append("flagged in the customer's record")
    since = utcnow() - CHURN_WINDOW
    stmt = select(func.count()).where(Case.customer_id == customer.id, col(Case.opened_at) >= since)
    n_cases = (await session.exec(stmt)).one()
    if n_cases >= 3:
        reasons.append(f"{n_cases} cases in 90 days")
    reasons += (await customer_churn(session, customer_id=customer.id)).reasons
    scores = [float(c["score"]) for c in csat_history(customer) if "score" in c]
    if scores and scores[-1] <= 2:
        reasons.append(f"last satisfaction score {scores[-1]:g}/5")
    return ChurnRisk(flag=bool(reasons), reasons=tuple(reasons))
