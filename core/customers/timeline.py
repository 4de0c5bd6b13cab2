"""The customer's omnichannel timeline: every case and message, across channels, in order.

:func:`case_view` is what an operator sees on opening a case: the case, the customer with all
their channel identities, the whole timeline, open promises and past compensations, and -- when a
CRM connector is configured -- the customer's orders and history from the CRM (queried with this
customer's identities only).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases.lifecycle import get_case
from core.customers.identities import get_customer
from core.errors import BackendUnavailable
from core.models import Case, ChannelIdentity, Compensation, Customer, Message, Promise
from core.ports import CrmConnector, CrmRecord


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


async def identities_of(session: AsyncSession, *, customer_id: int) -> list[ChannelIdentity]:
    stmt = (
        select(ChannelIdentity)
        .where(ChannelIdentity.customer_id == customer_id)
        .order_by(col(ChannelIdentity.id))
    )
    return list((await session.exec(stmt)).all())


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
    session: AsyncSession, *, case_id: int, crm: CrmConnector | None = None
) -> CaseView:
    case = await get_case(session, case_id)
    customer = await get_customer(session, case.customer_id)
    identities = await identities_of(session, customer_id=case.customer_id)
    records: list[CrmRecord] = []
    crm_error = None
    if crm is not None:
        try:
            records = await crm.customer_history([(i.channel, i.external_id) for i in identities])
        except BackendUnavailable as exc:
            crm_error = str(exc)
    return CaseView(
        case=case,
        customer=customer,
        identities=identities,
        cases=await customer_cases(session, customer_id=case.customer_id),
        timeline=await customer_timeline(session, customer_id=case.customer_id),
        promises=await _promises(session, case.customer_id),
        compensations=await _compensations(session, case.customer_id),
        crm_records=records,
        crm_error=crm_error,
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
