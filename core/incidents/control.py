"""Pause, resume and cancel a broadcast, and its progress.

Pausing or cancelling withdraws the notices still waiting in the delivery log untried: a
conditional UPDATE takes their pending, never-attempted deliveries (a sender that claimed one
first sends it; it stays queued), and they are deleted in the same commit. Withdrawn notices
are pending again (pause) or cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import InvalidTransition
from core.incidents.declare import SUPERVISING
from core.models import (
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    OutboundDelivery,
    User,
)
from core.platform import auth
from core.platform.records import claim, fetch

MOVES = {
    IncidentStatus.PAUSED: (IncidentStatus.ACTIVE,),
    IncidentStatus.ACTIVE: (IncidentStatus.PAUSED,),
    IncidentStatus.CANCELLED: (IncidentStatus.ACTIVE, IncidentStatus.PAUSED),
}


@dataclass(frozen=True, slots=True)
class Progress:
    affected: int = 0
    pending: int = 0
    """Not in the delivery log yet."""
    sending: int = 0
    """In the delivery log, not sent yet (waiting its turn, or retrying after a 429 or 5xx)."""
    sent: int = 0
    failed: int = 0
    opted_out: int = 0
    unreachable: int = 0
    cancelled: int = 0


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    progress: Progress


async def incident_view(
    session: AsyncSession, *, incident_id: int, user: User | None = None
) -> IncidentView:
    """The incident and how far its broadcast is (for supervisors: the segment may list
    customers' identities)."""
    if user is not None:
        auth.require_role(user, SUPERVISING)
    incident = await get_incident(session, incident_id)
    return IncidentView(incident, await progress(session, incident_id=incident_id))


async def get_incident(session: AsyncSession, incident_id: int) -> Incident:
    return await fetch(session, Incident, incident_id, kind="incident")


async def list_incidents(
    session: AsyncSession, *, user: User, limit: int = 100
) -> list[IncidentView]:
    """The newest incidents first, each with its progress (supervisors)."""
    auth.require_role(user, SUPERVISING)
    stmt = select(Incident).order_by(col(Incident.id).desc()).limit(limit)
    incidents = list((await session.exec(stmt)).all())
    return [IncidentView(i, await progress(session, incident_id=i.id or 0)) for i in incidents]


async def set_status(
    session: AsyncSession, *, incident_id: int, user: User, status: IncidentStatus
) -> IncidentView:
    """Pause, resume or cancel (409 from any other status)."""
    auth.require_role(user, SUPERVISING)
    await get_incident(session, incident_id)
    allowed = [col(Incident.status).in_(MOVES[status])]
    if not await claim(session, Incident, incident_id, where=allowed, values={"status": status}):
        await session.commit()
        current = await get_incident(session, incident_id)
        raise InvalidTransition(f"incident {incident_id} is {current.status}, cannot be {status}")
    if status != IncidentStatus.ACTIVE:
        await _withdraw(session, incident_id, cancel=status == IncidentStatus.CANCELLED)
    await session.commit()
    return await incident_view(session, incident_id=incident_id)


async def _withdraw(session: AsyncSession, incident_id: int, *, cancel: bool) -> None:
    mine = (col(Notice.kind) == NoticeKind.INCIDENT, col(Notice.subject_id) == incident_id)
    queued = select(Notice.delivery_id).where(*mine, col(Notice.status) == NoticeStatus.QUEUED)
    taken = await session.exec(  # type: ignore[call-overload]
        update(OutboundDelivery)
        .where(
            col(OutboundDelivery.id).in_(queued),
            col(OutboundDelivery.status) == DeliveryStatus.PENDING,
            col(OutboundDelivery.attempts) == 0,
        )
        .values(status=DeliveryStatus.FAILED, error="withdrawn")
        .returning(col(OutboundDelivery.id))
        .execution_options(synchronize_session=False)
    )
    withdrawn = [row[0] for row in taken.all()]
    back = NoticeStatus.CANCELLED if cancel else NoticeStatus.PENDING
    if withdrawn:
        await session.exec(  # type: ignore[call-overload]
            update(Notice)
            .where(col(Notice.delivery_id).in_(withdrawn))
            .values(status=back, delivery_id=None, queued_at=None)
        )
        await session.exec(  # type: ignore[call-overload]
            delete(OutboundDelivery)
            .where(col(OutboundDelivery.id).in_(withdrawn))
            .execution_options(synchronize_session=False)
        )
    if cancel:
        await session.exec(  # type: ignore[call-overload]
            update(Notice)
            .where(*mine, col(Notice.status) == NoticeStatus.PENDING)
            .values(status=NoticeStatus.CANCELLED)
        )


async def progress(session: AsyncSession, *, incident_id: int) -> Progress:
    """How far the broadcast is: each notice counted once, by its own or its delivery's status."""
    delivery = col(OutboundDelivery.status)
    state = case(
        (col(Notice.status) != NoticeStatus.QUEUED, col(Notice.status)),
        (delivery == DeliveryStatus.SENT, "sent"),
        (delivery == DeliveryStatus.FAILED, "failed"),
        else_="sending",
    )
    stmt = (
        select(state, func.count())
        .select_from(Notice)
        .outerjoin(OutboundDelivery, col(OutboundDelivery.id) == col(Notice.delivery_id))
        .where(col(Notice.kind) == NoticeKind.INCIDENT, col(Notice.subject_id) == incident_id)
        .group_by(state)
    )
    counts = {str(k): int(n) for k, n in (await session.exec(stmt)).all()}  # type: ignore[call-overload]
    return Progress(
        affected=sum(counts.values()),
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        sent=counts.get("sent", 0),
        failed=counts.get("failed", 0),
        opted_out=counts.get("opted_out", 0),
        unreachable=counts.get("unreachable", 0),
        cancelled=counts.get("cancelled", 0),
    )
