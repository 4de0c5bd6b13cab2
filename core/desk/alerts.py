"""What needs a person now, for the console's alerts panel: promises past due, offers waiting
for a supervisor's approval, replies that failed to reach the customer, and customers waiting
longer than the reply target (``CXC_SLA_REPLY_MINUTES``) on a case a person owns.

Everything is limited to the cases the user may act on (``auth.visible_cases``); failed
deliveries (their text is any customer's) are listed for supervisors and admins only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import promises
from core.compensation import offers
from core.models import (
    Author,
    Case,
    CaseStatus,
    Compensation,
    CompensationStatus,
    DeliveryStatus,
    Direction,
    Message,
    OutboundDelivery,
    Owner,
    Promise,
    User,
)
from core.models.base import utcnow
from core.platform import auth

LIMIT = 50


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    delivery: OutboundDelivery
    case_id: int | None
    """The case of the message that failed, when it was a message on a case."""


@dataclass(frozen=True, slots=True)
class Waiting:
    """A customer waiting for a person's reply longer than the target."""

    case: Case
    since: datetime
    """When the unanswered customer message came in."""
    minutes: int


@dataclass(frozen=True, slots=True)
class Alerts:
    overdue_promises: list[Promise]
    approvals: list[Compensation]
    failed_deliveries: list[FailedDelivery]
    sla_breaches: list[Waiting]

    @property
    def count(self) -> int:
        return (
            len(self.overdue_promises)
            + len(self.approvals)
            + len(self.failed_deliveries)
            + len(self.sla_breaches)
        )


async def alerts(
    session: AsyncSession, *, user: User, reply_minutes: float, now: datetime | None = None
) -> Alerts:
    """The alerts the user should see, oldest first within each kind."""
    now = now or utcnow()
    overdue = await promises.list_promises(session, overdue=True, user=user, now=now, limit=LIMIT)
    pending = await offers.list_compensations(
        session, status=CompensationStatus.PENDING_APPROVAL, user=user, limit=LIMIT
    )
    failed = await _failed(session) if auth.is_supervising(user) else []
    waiting = await sla_breaches(session, user=user, reply_minutes=reply_minutes, now=now)
    return Alerts(overdue, sorted(pending, key=lambda c: c.id or 0), failed, waiting)


async def sla_breaches(
    session: AsyncSession, *, user: User, reply_minutes: float, now: datetime
) -> list[Waiting]:
    """Open cases a person owns whose customer has waited longer than ``reply_minutes`` since
    their first message after the operator's last reply (or since their first, with none)."""
    replied = (
        select(col(Message.case_id).label("case_id"), func.max(Message.created_at).label("at"))
        .where(Message.direction == Direction.OUTBOUND, Message.author == Author.OPERATOR)
        .group_by(col(Message.case_id))
        .subquery()
    )
    unanswered = (
        select(col(Message.case_id).label("case_id"), func.min(Message.created_at).label("at"))
        .outerjoin(replied, replied.c.case_id == col(Message.case_id))
        .where(Message.direction == Direction.INBOUND, Message.author == Author.CUSTOMER)
        .where(replied.c.at.is_(None) | (col(Message.created_at) > replied.c.at))
        .group_by(col(Message.case_id))
        .subquery()
    )
    stmt = (
        select(Case, unanswered.c.at)
        .join(unanswered, unanswered.c.case_id == col(Case.id))
        .where(Case.status == CaseStatus.OPEN, Case.owner == Owner.HUMAN)
        .where(unanswered.c.at < now - timedelta(minutes=reply_minutes))
        .order_by(unanswered.c.at)
        .limit(LIMIT)
    )
    visible = auth.visible_cases(user)
    if visible is not None:
        stmt = stmt.where(visible)
    rows = (await session.exec(stmt)).all()
    return [Waiting(case, since, int((now - since).total_seconds() // 60)) for case, since in rows]


async def _failed(session: AsyncSession) -> list[FailedDelivery]:
    stmt = (
        select(OutboundDelivery, Message.case_id)
        .outerjoin(Message, col(Message.id) == col(OutboundDelivery.message_id))
        .where(OutboundDelivery.status == DeliveryStatus.FAILED)
        .order_by(col(OutboundDelivery.id).desc())
        .limit(LIMIT)
    )
    return [FailedDelivery(d, case_id) for d, case_id in (await session.exec(stmt)).all()]
