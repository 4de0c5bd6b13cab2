"""The report of one incident: how the notices went, how often the affected wrote compared with
a comparable unaffected group, the contacts the incident's answer settled, the CSAT of the
affected and the compensation offered to those notified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.incidents.control import Progress, get_incident, progress
from core.incidents.declare import SUPERVISING
from core.models import (
    Case,
    CustomerOrder,
    DeliveryStatus,
    Notice,
    NoticeKind,
    OutboundDelivery,
    Owner,
    Pulse,
    User,
)
from core.models.base import utcnow
from core.platform import auth


@dataclass(frozen=True, slots=True)
class IncidentReport:
    incident_id: int
    progress: Progress
    notified: int
    """Notices handed to a channel (sent, failed or still being sent)."""
    delivered: int
    failed: int
    affected_contacts: int
    """Affected customers who opened a case since the incident started."""
    affected_contact_rate: float
    baseline_contact_rate: float
    """The same rate for customers with orders who are not affected."""
    tagged_cases: int
    """Cases the incident's answer was given on."""
    deflected: int
    """Of those, the ones no person had to take."""
    affected_csat: float | None
    csat_answers: int
    compensation_value: float
    currency: str | None


async def incident_report(
    session: AsyncSession,
    *,
    incident_id: int,
    user: User | None = None,
    now: datetime | None = None,
) -> IncidentReport:
    """The report (for supervisors when ``user`` is given)."""
    if user is not None:
        auth.require_role(user, SUPERVISING)
    incident = await get_incident(session, incident_id)
    since, until = incident.starts_at, incident.ends_at or now or utcnow()
    done = await progress(session, incident_id=incident_id)
    affected = (
        select(Notice.customer_id)
        .where(col(Notice.kind) == NoticeKind.INCIDENT, col(Notice.subject_id) == incident_id)
        .scalar_subquery()
    )
    contacted, others_contacted, others = await _contacts(session, affected, since, until)
    tagged, deflected = await _tagged(session, incident_id)
    csat, answers = await _csat(session, affected, since)
    return IncidentReport(
        incident_id=incident_id,
        progress=done,
        notified=done.sent + done.failed + done.sending,
        delivered=done.sent,
        failed=done.failed,
        affected_contacts=contacted,
        affected_contact_rate=_rate(contacted, done.affected),
        baseline_contact_rate=_rate(others_contacted, others),
        tagged_cases=tagged,
        deflected=deflected,
        affected_csat=csat,
        csat_answers=answers,
        compensation_value=await _offered(session, incident_id),
        currency=incident.compensation.get("currency") if incident.compensation else None,
    )


async def _contacts(
    session: AsyncSession, affected: Any, since: datetime, until: datetime
) -> tuple[int, int, int]:
    """(affected customers who opened a case in the window, unaffected customers with orders
    who did, unaffected customers with orders)."""
    window = (col(Case.opened_at) >= since, col(Case.opened_at) <= until)
    writers = select(func.count(distinct(col(Case.customer_id)))).where(*window)
    contacted = await _count(session, writers.where(col(Case.customer_id).in_(affected)))
    others_contacted = await _count(
        session,
        writers.where(
            col(Case.customer_id).not_in(affected),
            col(Case.customer_id).in_(select(CustomerOrder.customer_id)),
        ),
    )
    buyers = select(func.count(distinct(col(CustomerOrder.customer_id))))
    others = await _count(session, buyers.where(col(CustomerOrder.customer_id).not_in(affected)))
    return contacted, others_contacted, others


async def _tagged(session: AsyncSession, incident_id: int) -> tuple[int, int]:
    """(cases the incident's message answered, those of them no person took)."""
    cases = select(func.count()).select_from(Case).where(Case.incident_id == incident_id)
    return await _count(session, cases), await _count(session, cases.where(Case.owner == Owner.BOT))


async def _csat(session: AsyncSession, affected: Any, since: datetime) -> tuple[float | None, int]:
    stmt = select(func.avg(Pulse.csat), func.count(col(Pulse.csat))).where(
        col(Pulse.customer_id).in_(affected),
        col(Pulse.csat).is_not(None),
        col(Pulse.answered_at) >= since,
    )
    mean, answers = (await session.exec(stmt)).one()
    return (round(float(mean), 2) if mean is not None else None), int(answers)


async def _count(session: AsyncSession, stmt: object) -> int:
    return int((await session.exec(stmt)).one() or 0)  # type: ignore[call-overload]


async def _offered(session: AsyncSession, incident_id: int) -> float:
    """Compensation in the notices that reached the customer."""
    stmt = (
        select(func.coalesce(func.sum(Notice.compensation_value), 0.0))
        .join(OutboundDelivery, col(OutboundDelivery.id) == col(Notice.delivery_id))
        .where(
            col(Notice.kind) == NoticeKind.INCIDENT,
            col(Notice.subject_id) == incident_id,
            col(OutboundDelivery.status) == DeliveryStatus.SENT,
        )
    )
    return float((await session.exec(stmt)).one())


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0
