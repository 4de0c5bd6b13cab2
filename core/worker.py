"""The background worker: decides and sends pulses, schedules NPS rounds, expires stale pulses,
flags overdue promises, stores the notices for late orders and late promises and queues
proactive notices (incidents' too) into the delivery log, a window at a time
(``core.incidents.release``). Everything it does is stored first, so it survives restarts; a
pulse is claimed (under a lease) before it is sent and never sent twice: a claim that expires
before the send is taken again, one that expires during it fails as "outcome unknown"
(``core.feedback.surveys``). A channel that queues a send for a retry (Telegram in an outage)
has taken the pulse over: it is sent, and a failure for good is listed with the deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import promises
from core.config import Settings
from core.db import is_outage
from core.errors import StorageFull
from core.feedback import pulse_answers, surveys
from core.incidents import release
from core.late import orders as late_orders
from core.late import promises as late_promises
from core.models import Customer, Pulse
from core.models.base import utcnow
from core.platform.beats import Heart
from core.ports import OutboundChannel

log = logging.getLogger(__name__)
BUTTON_CHANNELS = ("telegram",)
"""Channels whose sender shows inline buttons; the others get the signed link."""


@dataclass(frozen=True, slots=True)
class WorkerPass:
    decided: int = 0
    nps_scheduled: int = 0
    sent: int = 0
    failed: int = 0
    expired: int = 0
    promises_flagged: int = 0
    late_orders: int = 0
    late_promises: int = 0
    notices_queued: int = 0


async def run_worker_once(
    session_factory: Callable[[], AsyncSession],
    *,
    settings: Settings,
    outbound: Mapping[str, OutboundChannel] | None = None,
    now: datetime | None = None,
) -> WorkerPass:
    """One pass. Pulses are sent only when ``outbound`` is given, and only on channels it has."""
    now = now or utcnow()
    async with session_factory() as session:
        decided = await surveys.apply_policy(session, settings=settings, now=now)
        nps = await surveys.schedule_nps(session, settings=settings, now=now)
        expired = await surveys.expire(session, now=now)
        flagged = len(await promises.flag_overdue(session, now=now))
        late = await late_orders.apologise_late_orders(session, settings=settings, now=now)
        told = await late_promises.tell_late_promises(session, settings=settings, now=now)
        queued = await release.release_due(session, settings=settings, now=now)
    sent = failed = 0
    if outbound:
        sent, failed = await _send_due(session_factory, settings, outbound, now)
    return WorkerPass(decided, nps, sent, failed, expired, flagged, late, told, queued)


async def _send_due(
    session_factory: Callable[[], AsyncSession],
    settings: Settings,
    outbound: Mapping[str, OutboundChannel],
    now: datetime,
) -> tuple[int, int]:
    sent = failed = 0
    async with session_factory() as session:
        lease = timedelta(seconds=settings.claim_lease_s)
        for pulse in await surveys.claim_due(
            session, now=now, channels=tuple(outbound), lease=lease
        ):
            error = await _deliver(session, pulse, settings, outbound[pulse.channel])
            assert pulse.id is not None
            await surveys.mark_sent(
                session, pulse_id=pulse.id, settings=settings, error=error, now=now
            )
            sent, failed = (sent + 1, failed) if error is None else (sent, failed + 1)
    return sent, failed


async def _deliver(
    session: AsyncSession, pulse: Pulse, settings: Settings, channel: OutboundChannel
) -> str | None:
    """Send the pulse's first message; the error text, or None when it went out."""
    identity = await surveys.recipient(session, pulse)
    if identity is None:
        return f"the customer has no {pulse.channel} identity"
    customer = await session.get(Customer, pulse.customer_id)
    language = customer.language if customer else None
    link = None
    if pulse.channel not in BUTTON_CHANNELS:
        link = pulse_answers.link(pulse, settings=settings)
    prompt = surveys.first_prompt(pulse, language=language, link=link)
    assert pulse.id is not None
    await surveys.begin_send(session, pulse_id=pulse.id)
    try:
        result = await channel.send(identity.external_id, prompt.text, buttons=prompt.buttons)
    except Exception as exc:  # a sender bug must not leave the pulse claimable again
        log.exception("pulse %s: sending failed", pulse.id)
        return f"{type(exc).__name__}: {exc}"
    return None if result.ok or result.queued else (result.error or "delivery failed")


async def run_worker(
    session_factory: Callable[[], AsyncSession],
    *,
    settings: Settings,
    outbound: Mapping[str, OutboundChannel] | None = None,
    stop: asyncio.Event | None = None,
    heart: Heart | None = None,
) -> None:
    """Run passes every ``settings.worker_interval_s`` until ``stop`` is set. The loop renews
    ``heart`` between passes and while it rests, so a pass that hangs stops the beat."""
    stop = stop or asyncio.Event()
    while not stop.is_set():
        if heart is not None:
            await heart.beat()
        try:
            done = await run_worker_once(session_factory, settings=settings, outbound=outbound)
            if done != WorkerPass():
                log.info("worker pass: %s", done)
        except Exception as exc:
            if is_outage(exc):  # one line per try; the pass runs again once it answers
                log.warning("worker pass waits for the database (%s)", type(exc).__name__)
            elif isinstance(exc, StorageFull):  # likewise once there is space
                log.error("worker pass waits: %s", exc)
            else:
                log.exception("worker pass failed; retrying after the interval")
        await _rest(stop, settings.worker_interval_s, heart)


async def _rest(stop: asyncio.Event, seconds: float, heart: Heart | None) -> None:
    """Wait ``seconds`` (or until ``stop``), beating every ``heart.interval_s`` meanwhile."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not stop.is_set():
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), min(left, heart.interval_s) if heart else left)
        if heart is not None and not stop.is_set():
            await heart.beat()
