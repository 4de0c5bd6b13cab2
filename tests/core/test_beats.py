"""Heartbeats: the worker's own loop renews its row (one per process) between passes and while it
rests; once the loop stops, or hangs in a pass (a channel that never answers), the beat goes
stale and ``check_process`` says so. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db, worker
from core.config import Settings
from core.models import ProcessBeat, Pulse, PulseKind, PulseStatus
from core.models.base import utcnow
from core.platform.beats import Heart, ProcessKind, check_process, recent_beats
from core.ports import Delivery
from tests.factories import make_customer

BEAT_S = 0.05


def _settings(interval_s: float) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test", _env_file=None, worker_interval_s=interval_s, heartbeat_s=BEAT_S
    )


async def _rows(sessions: Callable[[], AsyncSession]) -> list[ProcessBeat]:
    async with sessions() as session:
        return list((await session.exec(select(ProcessBeat))).all())


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _has_rows(sessions: Callable[[], AsyncSession]) -> bool:
    return bool(await _rows(sessions))


async def _beat_after(sessions: Callable[[], AsyncSession], first: ProcessBeat) -> bool:
    return any(row.beat_at > first.beat_at for row in await _rows(sessions))


async def _check(sessions: Callable[[], AsyncSession], heart: Heart, max_age_s: float) -> bool:
    async with sessions() as session:
        check = await check_process(
            session, kind=ProcessKind.WORKER, host=heart.host, max_age_s=max_age_s
        )
    return check.alive


async def test_the_worker_loop_renews_its_beat_until_it_stops(any_engine: AsyncEngine) -> None:
    sessions = db.session_factory(any_engine)
    heart = Heart(sessions, ProcessKind.WORKER, BEAT_S)
    stop = asyncio.Event()
    loop = asyncio.create_task(  # one pass, then a long rest: only the rest can beat
        worker.run_worker(sessions, settings=_settings(60), stop=stop, heart=heart)
    )
    try:
        await _until(lambda: _has_rows(sessions))
        [first] = await _rows(sessions)
        await _until(lambda: _beat_after(sessions, first))
        [later] = await _rows(sessions)  # still one row for this process
        assert later.id == first.id
        assert (later.kind, later.pid) == ("worker", heart.pid)
        assert await _check(sessions, heart, max_age_s=1.0)
        assert not loop.done()
    finally:
        stop.set()
        await asyncio.wait_for(loop, 10)
    await asyncio.sleep(0.4)
    assert not await _check(sessions, heart, max_age_s=0.3)
    async with sessions() as session:
        elsewhere = await check_process(
            session, kind=ProcessKind.WORKER, host="another-host", max_age_s=60
        )
        assert not elsewhere.alive and "no heartbeat" in elsewhere.line
        fresh = await check_process(session, kind=ProcessKind.WORKER, host=heart.host, max_age_s=60)
        assert fresh.alive and f"pid {heart.pid}" in fresh.line
        assert [b.pid for b in await recent_beats(session)] == [heart.pid]


class SilentTelegram:
    """A Telegram that takes a message and does not answer until released."""

    channel = "telegram"

    def __init__(self) -> None:
        self.called = asyncio.Event()
        self.release = asyncio.Event()

    async def send(
        self, external_id: str, text: str, *, buttons: Sequence[tuple[str, str]] = ()
    ) -> Delivery:
        self.called.set()
        await self.release.wait()
        return Delivery(ok=True, external_id="1")


async def test_a_pass_that_hangs_stops_the_beat(any_engine: AsyncEngine) -> None:
    sessions = db.session_factory(any_engine)
    async with sessions() as session:
        customer = await make_customer(session, telegram_id="4242")
        session.add(
            Pulse(
                customer_id=customer.id or 0,
                channel="telegram",
                kind=PulseKind.NPS,
                status=PulseStatus.SCHEDULED,
                due_at=utcnow() - timedelta(minutes=1),
                expires_at=utcnow() + timedelta(days=1),
                token=secrets.token_urlsafe(16),
            )
        )
        await session.commit()
    telegram, stop = SilentTelegram(), asyncio.Event()
    heart = Heart(sessions, ProcessKind.WORKER, BEAT_S)
    outbound = {"telegram": telegram}
    loop = asyncio.create_task(
        worker.run_worker(
            sessions, settings=_settings(0.1), outbound=outbound, stop=stop, heart=heart
        )
    )
    try:
        await asyncio.wait_for(telegram.called.wait(), 10)
        await asyncio.sleep(0.5)
        assert not loop.done()
        assert not await _check(sessions, heart, max_age_s=0.3)  # alive, yet stuck: stale
        telegram.release.set()
        await _until(lambda: _check(sessions, heart, max_age_s=0.3))  # beating again
    finally:
        telegram.release.set()
        stop.set()
        await asyncio.wait_for(loop, 10)
