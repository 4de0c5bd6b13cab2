"""Satisfaction pulses: one CSAT/CES pulse per resolution, NPS on its own cadence.

Life of a pulse::

    schedule_pulse (at resolution)      -> new          (policy applied now when settings given)
    apply_policy (worker)               new -> scheduled | skipped (disabled, sampled_out,
                                                       recent_pulse, merged)
    claim_due (worker)                  scheduled, due -> sending   (SKIP LOCKED on PostgreSQL
                                        and a conditional UPDATE: one worker wins; the claim
                                        holds until claimed_until)
    begin_send                          attempted_at set, committed before the send
    mark_sent                           sending -> sent | failed
    (claim expired)                     sending, never tried -> scheduled; tried -> failed,
                                        "outcome unknown": a pulse is never sent twice
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

from sqlalchemy import and_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.errors import InvalidTransition
from core.feedback.channels import answerable_channel
from core.feedback.nps import recent_nps, schedule_nps
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
from core.reports.query import person_involved

__all__ = ["Prompt", "comment_prompt", "first_prompt", "next_prompt", "schedule_nps"]

LIVE = (PulseStatus.SCHEDULED, PulseStatus.SENDING, PulseStatus.SENT, PulseStatus.ANSWERED)
UNSENT = (PulseStatus.NEW, PulseStatus.SCHEDULED, PulseStatus.SENDING)
LEASE = timedelta(minutes=1)
"""The default claim lease (``CXC_CLAIM_LEASE_S``)."""
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
        channel=await answerable_channel(session, case),
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
    elif await recent_nps(session, pulse.customer_id, since=_gap_before(pulse, settings)):
        reason = "recent_survey"  # one survey per customer at a time
    if reason:
        pulse.status, pulse.skip_reason = PulseStatus.SKIPPED, reason
    else:
        pulse.status = PulseStatus.SCHEDULED
        pulse.due_at = pulse.resolved_at + timedelta(seconds=settings.pulse_delay_s)
        pulse.expires_at = pulse.due_at + timedelta(hours=settings.pulse_expiry_h)
    session.add(pulse)


def _gap_before(pulse: Pulse, settings: Settings) -> datetime:
    assert pulse.resolved_at is not None
    return pulse.resolved_at - timedelta(hours=settings.survey_gap_h)


def sampled(case_id: int, resolved_at: datetime, rate: float) -> bool:
    """Deterministic sampling: the same resolution always gets the same answer."""
    if rate >= 1.0:
        return True
    digest = hashlib.sha256(f"{case_id}:{resolved_at.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


async def _recent_pulse(session: AsyncSession, pulse: Pulse, *, days: float) -> bool:
    """A live pulse of this customer within ``days`` for a resolution of the same kind: by the
    bot alone, or with a person. A bot answer and a person's resolution later the same day are
    two resolutions, and each gets its pulse."""
    assert pulse.resolved_at is not None
    person = person_involved()
    mine = (await session.exec(select(person).where(col(Case.id) == pulse.case_id))).first()
    same_kind = person if mine else ~person
    stmt = (
        select(Pulse.id)
        .join(Case, col(Case.id) == col(Pulse.case_id))
        .where(
            Pulse.customer_id == pulse.customer_id,
            Pulse.kind == PulseKind.CSAT_CES,
            col(Pulse.status).in_(LIVE),
            col(Pulse.id) != pulse.id,
            col(Pulse.resolved_at) > pulse.resolved_at - timedelta(days=days),
            col(Pulse.resolved_at) <= pulse.resolved_at,
            same_kind,
        )
    )
    return (await session.exec(stmt.limit(1))).first() is not None


async def _for_resolution(session: AsyncSession, case: Case) -> Pulse | None:
    stmt = select(Pulse).where(Pulse.case_id == case.id, Pulse.resolved_at == case.resolved_at)
    return (await session.exec(stmt)).first()


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    limit: int = 100,
    channels: tuple[str, ...] | None = None,
) -> list[Pulse]:
    """Take due pulses for sending, each by one worker only, under a lease (``claimed_until``)."""
    now = now or utcnow()
    await release_expired(session, now=now)
    stmt = (
        select(Pulse.id)
        .where(
            Pulse.status == PulseStatus.SCHEDULED,
            col(Pulse.due_at) <= now,
            col(Pulse.expires_at) > now,
        )
        .order_by(col(Pulse.due_at), col(Pulse.id))
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; on SQLite the UPDATE below decides
    )
    if channels is not None:
        stmt = stmt.where(col(Pulse.channel).in_(channels))
    claimed = []
    for pulse_id in list((await session.exec(stmt)).all()):
        result = await session.exec(  # type: ignore[call-overload]
            update(Pulse)
            .where(col(Pulse.id) == pulse_id, col(Pulse.status) == PulseStatus.SCHEDULED)
            .values(status=PulseStatus.SENDING, claimed_until=now + lease)
        )
        if result.rowcount == 1:
            claimed.append(pulse_id)
    await session.commit()
    rows = await session.exec(
        select(Pulse).where(col(Pulse.id).in_(claimed)).execution_options(populate_existing=True)
    )
    return sorted(rows.all(), key=lambda p: (p.due_at, p.id or 0))


async def begin_send(session: AsyncSession, *, pulse_id: int, now: datetime | None = None) -> None:
    """Note that the send is going out (committed first): an expired claim is then never retried."""
    await session.exec(  # type: ignore[call-overload]
        update(Pulse).where(col(Pulse.id) == pulse_id).values(attempted_at=now or utcnow())
    )
    await session.commit()


async def release_expired(session: AsyncSession, *, now: datetime | None = None) -> None:
    """Claims of a worker that died: untried pulses are scheduled again, tried ones failed."""
    now = now or utcnow()
    expired = and_(col(Pulse.status) == PulseStatus.SENDING, col(Pulse.claimed_until) < now)
    await session.exec(  # type: ignore[call-overload]
        update(Pulse)
        .where(expired, col(Pulse.attempted_at).is_(None))
        .values(status=PulseStatus.SCHEDULED, claimed_until=None)
    )
    await session.exec(  # type: ignore[call-overload]
        update(Pulse)
        .where(expired, col(Pulse.attempted_at).is_not(None))
        .values(status=PulseStatus.FAILED, error="outcome unknown: the worker stopped mid-send")
    )
    await session.commit()


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
