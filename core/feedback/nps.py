"""NPS rounds: at most one per customer per ``nps_interval_days``, and one survey at a time.

A customer is asked for NPS when they had a resolution in the interval, no NPS round in it, no
CSAT/CES pulse that is still to go out, none due in the last ``pulse_min_interval_days`` (at least
a day), and no resolution in the last ``survey_gap_h`` (its CSAT/CES pulse comes first). Each
round has a ``round_key`` (customer and period) that the database keeps unique, so two workers
scheduling at once create it once.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from core.config import Settings
from core.models import Case, Pulse, PulseKind, PulseStatus
from core.models.base import utcnow

WAITING = (PulseStatus.NEW, PulseStatus.SCHEDULED, PulseStatus.SENDING)
ASKED = (PulseStatus.SCHEDULED, PulseStatus.SENDING, PulseStatus.SENT, PulseStatus.ANSWERED)


async def schedule_nps(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Schedule the NPS rounds that are due (at most ``nps_batch``); returns how many."""
    now = now or utcnow()
    if not settings.pulse_enabled or settings.nps_batch == 0:
        return 0
    chosen: dict[int, str] = {}
    for customer_id, channel in (await session.exec(_candidates(settings, now))).all():
        if len(chosen) < settings.nps_batch:
            chosen.setdefault(customer_id, channel)
    period = int(now.timestamp() // (settings.nps_interval_days * 86_400))
    created = 0
    for customer_id, channel in chosen.items():
        pulse = Pulse(
            customer_id=customer_id,
            channel=channel,
            kind=PulseKind.NPS,
            status=PulseStatus.SCHEDULED,
            due_at=now,
            expires_at=now + timedelta(hours=settings.pulse_expiry_h),
            created_at=now,
            token=secrets.token_urlsafe(16),
            round_key=f"nps:{customer_id}:{period}",
        )
        try:
            async with session.begin_nested():
                session.add(pulse)
            created += 1
        except IntegrityError:  # another worker scheduled this round first
            continue
    await session.commit()
    return created


def _candidates(settings: Settings, now: datetime) -> Select[int, str]:
    since = now - timedelta(days=settings.nps_interval_days)
    quiet = now - timedelta(days=max(settings.pulse_min_interval_days, 1.0))
    gap = now - timedelta(hours=settings.survey_gap_h)
    csat = col(Pulse.kind) == PulseKind.CSAT_CES
    asked = select(Pulse.customer_id).where(
        or_(
            and_(col(Pulse.kind) == PulseKind.NPS, col(Pulse.created_at) >= since),
            and_(csat, col(Pulse.due_at) >= quiet),
            and_(csat, col(Pulse.status).in_(WAITING)),
        )
    )
    just_resolved = select(Case.customer_id).where(col(Case.resolved_at) > gap)
    return (
        select(Case.customer_id, Case.origin_channel)
        .where(
            col(Case.resolved_at) >= since,
            col(Case.customer_id).not_in(asked),
            col(Case.customer_id).not_in(just_resolved),
        )
        .order_by(col(Case.resolved_at).desc())
        .limit(settings.nps_batch * 5)
    )


async def recent_nps(session: AsyncSession, customer_id: int, *, since: datetime) -> bool:
    """Whether the customer has an NPS round going out or sent since ``since``."""
    stmt = select(Pulse.id).where(
        Pulse.customer_id == customer_id,
        Pulse.kind == PulseKind.NPS,
        col(Pulse.status).in_(ASKED),
        col(Pulse.due_at) >= since,
    )
    return (await session.exec(stmt.limit(1))).first() is not None
