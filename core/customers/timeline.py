"""The customer's omnichannel timeline: every case and message, across channels, in order.

:func:`case_view` is what an operator sees on opening a case: the case, the customer with all
their channel identities, the whole timeline, open promises and past compensations, their orders
and past CRM cases (stored by a sync or an import) and -- when a live CRM connector is
configured -- its records for this customer (queried with this customer's identities only), all
taken from the request's loaded :class:`CaseContext`. Its
``disclosure`` says how much of the personal data in those texts the viewer may see
(``core.platform.auth.disclosure_for``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.context import CaseContext
from core.models import Case, ChannelIdentity, Compensation, Customer, Message, Promise
from core.ports import CrmRecord
from core.privacy import Disclosure

MASKED = Disclosure(contacts=False)


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    customer: Customer
    identities: list[ChannelIdentity]
    cases: list[Case]
    timeline: list[Message]
    promises: list[Promise]
    compensations: list[Compensation]
    crm_records: list[CrmRecord] = field(default_factory=list)
    crm_error: str | None = None
    disclosure: Disclosure = MASKED
    orders: list[dict[str, Any]] = field(default_factory=list)
    """The customer's orders, newest last (``CaseContext.orders``)."""


async def customer_cases(session: AsyncSession, *, customer_id: int) -> list[Case]:
    stmt = (
        select(Case)
        .where(Case.customer_id == customer_id)
        .order_by(col(Case.opened_at), col(Case.id))
    )
    return list((await session.exec(stmt)).all())


async def customer_timeline(
    session: AsyncSession, *, customer_id: int, limit: int = 500
) -> list[Message]:
    """The customer's latest ``limit`` messages of every case and channel, oldest first."""
    stmt = (
        select(Message)
        .join(Case, Case.id == Message.case_id)  # type: ignore[arg-type]
        .where(Case.customer_id == customer_id)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(limit)
    )
    newest_first = list((await session.exec(stmt)).all())
    return newest_first[::-1]


async def case_view(
    session: AsyncSession, *, context: CaseContext, disclosure: Disclosure = MASKED
) -> CaseView:
    """The case view of a loaded case context (``load_case_context``), shown as ``disclosure``
    allows (everything but card numbers and contacts when not told otherwise)."""
    customer_id = context.customer_id
    return CaseView(
        case=context.case,
        customer=context.customer,
        identities=context.identities,
        cases=await customer_cases(session, customer_id=customer_id),
        timeline=await customer_timeline(session, customer_id=customer_id),
        promises=await _promises(session, customer_id),
        compensations=await _compensations(session, customer_id),
        crm_records=context.crm.records,
        crm_error=context.crm.error,
        disclosure=disclosure,
        orders=context.orders,
    )


async def _promises(session: AsyncSession, customer_id: int) -> list[Promise]:
    stmt = select(Promise).where(Promise.customer_id == customer_id).order_by(col(Promise.id))
    return list((await session.exec(stmt)).all())


async def _compensations(session: AsyncSession, customer_id: int) -> list[Compensation]:
    stmt = (
        select(Compensation)
        .where(Compensation.customer_id == customer_id)
        .order_by(col(Compensation.id))
    )
    return list((await session.exec(stmt)).all())
