"""Satisfaction pulses: one CSAT/CES pulse per resolution, NPS on its own cadence.

Life of a pulse::

    schedule_pulse (at resolution)      -> new          (policy applied now when settings given)
    apply_policy (worker)               new -> scheduled | skipped (disabled, sampled_out,
                                                       recent_pulse, merged)
    claim_due (worker)                  scheduled, due -> sending   (a conditional UPDATE: one
                                        worker wins, and a claimed pulse is never claimed again)
    mark_sent                           sending -> sent | failed
    record_answer (pulse_answers)       sent -> answered; a low score opens a recovery case
    expire (worker)                     new|scheduled|sent past expires_at -> expired

Answers, the signed links, Telegram button presses and comments are in ``pulse_answers``:
Telegram gets buttons (``pulse_texts``, ``pulse_answers.handle_callback``); other channels get a
signed, expiring link (``pulse_answers.link``) to the page at ``/pulse/{token}``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.errors import InvalidTransition
from core.feedback.pulse_texts import Prompt, comment_prompt, first_prompt, next_prompt
from core.models import (
    Case,
    CaseStatus,
    ChannelIdentity,
    Pulse,
    PulseKind,
    PulseStatus,
)
from core.models.base import utcnow
from core.platform.records import fetch

__all__ = ["Prompt", "comment_prompt", "first_prompt", "next_prompt"]

LIVE = (PulseStatus.SCHEDULED, PulseStatus.SENDING, PulseStatus.SENT, PulseStatus.ANSWERED)
NO_PULSE_CODES = ("merged",)


async def schedule_pulse(
    session: AsyncSession,
    *,
    case_id: int,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> Pulse:
    """Record the pulse for the case's latest resolution (idempotent: one per resolution).

    Without ``settings`` the pulse stays ``new`` and the worker applies the policy with its own.
    """
    case = await lifecycle.get_case(session, case_id)
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or case.resolved_at is None:
        raise InvalidTransition(f"case {case_id} is {case.status}, not resolved")
    existing = await _for_resolution(session, case)
    if existing is not None:
        return existing
    assert case.id is not None
    pulse = Pulse(
        case_id=case.id,
        customer_id=case.customer_id,
        channel=case.origin_channel,
        kind=PulseKind.CSAT_CES,
        resolved_at=case.resolved_at,
        due_at=case.resolved_at,
        expires_at=case.resolved_at + timedelta(hours=72),
        token=secrets.token_urlsafe(16),
    )
    if case.resolution_code in NO_PULSE_CODES:
        pulse.status, pulse.skip_reason = PulseStatus.SKIPPED, case.resolution_code
    session.add(pulse)
    try:
        await session.commit()
    except IntegrityError:  # a concurrent resolution hook recorded it first
        await session.rollback()
        found = await _for_resolution(session, case)
        assert found is not None
        return found
    if settings is not None and pulse.status == PulseStatus.NEW:
        await _apply(session, pulse, settings=settings, now=now or utcnow())
        await session.commit()
    return pulse


async def apply_policy(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None, limit: int = 500
) -> int:
    """Decide the ``new`` pulses (oldest resolution first): scheduled or skipped."""
    stmt = (
        select(Pulse)
        .where(Pulse.status == PulseStatus.NEW)
        .order_by(col(Pulse.resolved_at), col(Pulse.id))
        .limit(limit)
    )
    rows = list((await session.exec(stmt)).all())
    for pulse in rows:
        await _apply(session, pulse, settings=settings, now=now or utcnow())
        await session.flush()
    await session.commit()
    return len(rows)


async def _apply(session: AsyncSession, pulse: Pulse, *, settings: Settings, now: datetime) -> None:
    assert pulse.resolved_at is not None
    reason = None
    if not settings.pulse_enabled:
        reason = "disabled"
    elif not sampled(pulse.case_id or 0, pulse.resolved_at, settings.pulse_sample_rate):
        reason = "sampled_out"
    elif await _recent_pulse(session, pulse, days=settings.pulse_min_interval_days):
        reason = "recent_pulse"
    if reason:
        pulse.status, pulse.skip_reason = PulseStatus.SKIPPED, reason
    else:
        pulse.status = PulseStatus.SCHEDULED
        pulse.due_at = pulse.resolved_at + timedelta(seconds=settings.pulse_delay_s)
        pulse.expires_at = pulse.due_at + timedelta(hours=settings.pulse_expiry_h)
    session.add(pulse)


def sampled(case_id: int, resolved_at: datetime, rate: float) -> bool:
    """Deterministic sampling: the same resolution always gets the same answer."""
    if rate >= 1.0:
        return True
    digest = hashlib.sha256(f"{case_id}:{resolved_at.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


async def _recent_pulse(session: AsyncSession, pulse: Pulse, *, days: float) -> bool:
    assert pulse.resolved_at is not None
    stmt = select(Pulse.id).where(
        Pulse.customer_id == pulse.customer_id,
        Pulse.kind == PulseKind.CSAT_CES,
        col(Pulse.status).in_(LIVE),
        col(Pulse.id) != pulse.id,
        col(Pulse.resolved_at) > pulse.resolved_at - timedelta(days=days),
        col(Pulse.resolved_at) <= pulse.resolved_at,
    )
    return (await session.exec(stmt.limit(1))).first() is not None


async def _for_resolution(session: AsyncSession, case: Case) -> Pulse | None:
    stmt = select(Pulse).where(Pulse.case_id == case.id, Pulse.resolved_at == case.resolved_at)
    return (await session.exec(stmt)).first()


async def schedule_nps(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Schedule an NPS pulse for customers with a resolution in the last ``nps_interval_days``
    who had no NPS pulse in that time, nor a CSAT/CES pulse in the last
    ``pulse_min_interval_days`` (at least a day); at most ``nps_batch`` per call."""
    now = now or utcnow()
    since = now - timedelta(days=settings.nps_interval_days)
    if not settings.pulse_enabled or settings.nps_batch == 0:
        return 0
    quiet = now - timedelta(days=max(settings.pulse_min_interval_days, 1.0))
    asked = select(Pulse.customer_id).where(
        or_(
            and_(col(Pulse.kind) == PulseKind.NPS, col(Pulse.created_at) >= since),
            and_(col(Pulse.kind) == PulseKind.CSAT_CES, col(Pulse.due_at) >= quiet),
        )
    )
    stmt = (
        select(Case.customer_id, Case.origin_channel)
        .where(col(Case.resolved_at) >= since, col(Case.customer_id).not_in(asked))
        .order_by(col(Case.resolved_at).desc())
        .limit(settings.nps_batch * 5)
    )
    chosen: dict[int, str] = {}
    for customer_id, channel in (await session.exec(stmt)).all():
        if len(chosen) < settings.nps_batch:
            chosen.setdefault(customer_id, channel)
    for customer_id, channel in chosen.items():
        session.add(
            Pulse(
                customer_id=customer_id,
                channel=channel,
                kind=PulseKind.NPS,
                status=PulseStatus.SCHEDULED,
                due_at=now,
                expires_at=now + timedelta(hours=settings.pulse_expiry_h),
                created_at=now,
                token=secrets.token_urlsafe(16),
            )
        )
    await session.commit()
    return len(chosen)


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    limit: int = 100,
    channels: tuple[str, ...] | None = None,
) -> list[Pulse]:
    """Take due pulses for sending. Each pulse is returned by exactly one call, ever."""
    now = now or utcnow()
    stmt = (
        select(Pulse.id)
        .where(
            Pulse.status == PulseStatus.SCHEDULED,
            col(Pulse.due_at) <= now,
            col(Pulse.expires_at) > now,
        )
        .order_by(col(Pulse.due_at), col(Pulse.id))
        .limit(limit)
    )
    if channels is not None:
        stmt = stmt.where(col(Pulse.channel).in_(channels))
    claimed = []
    for pulse_id in list((await session.exec(stmt)).all()):
        result = await session.exec(  # type: ignore[call-overload]
            update(Pulse)
            .where(col(Pulse.id) == pulse_id, col(Pulse.status) == PulseStatus.SCHEDULED)
            .values(status=PulseStatus.SENDING)
        )
        if result.rowcount == 1:
            claimed.append(pulse_id)
    await session.commit()
    rows = await session.exec(
        select(Pulse).where(col(Pulse.id).in_(claimed)).execution_options(populate_existing=True)
    )
    return sorted(rows.all(), key=lambda p: (p.due_at, p.id or 0))


async def mark_sent(
    session: AsyncSession,
    *,
    pulse_id: int,
    settings: Settings,
    error: str | None = None,
    now: datetime | None = None,
) -> Pulse:
    pulse = await get_pulse(session, pulse_id)
    if pulse.status != PulseStatus.SENDING:
        raise InvalidTransition(f"pulse {pulse_id} is {pulse.status}, not being sent")
    now = now or utcnow()
    if error:
        pulse.status, pulse.error = PulseStatus.FAILED, error[:500]
    else:
        pulse.status, pulse.sent_at = PulseStatus.SENT, now
        pulse.expires_at = now + timedelta(hours=settings.pulse_expiry_h)
    session.add(pulse)
    await session.commit()
    return pulse


async def expire(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Expire unanswered pulses past their time (and unsent ones that can no longer go out)."""
    now = now or utcnow()
    result = await session.exec(  # type: ignore[call-overload]
        update(Pulse)
        .where(
            col(Pulse.status).in_((PulseStatus.NEW, PulseStatus.SCHEDULED, PulseStatus.SENT)),
            col(Pulse.expires_at) <= now,
        )
        .values(status=PulseStatus.EXPIRED)
    )
    await session.commit()
    return int(result.rowcount or 0)


async def get_pulse(session: AsyncSession, pulse_id: int) -> Pulse:
    return await fetch(session, Pulse, pulse_id, kind="pulse")


async def recipient(session: AsyncSession, pulse: Pulse) -> ChannelIdentity | None:
    """The customer's identity on the pulse's channel, if they have one."""
    stmt = select(ChannelIdentity).where(
        ChannelIdentity.customer_id == pulse.customer_id, ChannelIdentity.channel == pulse.channel
    )
    return (await session.exec(stmt.order_by(col(ChannelIdentity.id)))).first()
