"""The broadcast in real ``cxc worker`` processes against a loopback Bot API that enforces
Telegram's limits (429 with retry_after) and fails some sends (502): killed with SIGKILL
mid-broadcast and restarted, nobody gets a notice twice and every notice ends sent or reported
failed; two workers at once send each notice once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import TOKEN
from loopback_limits import LimitedBotApi
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from core import db
from core.config import Settings
from core.incidents import control
from core.incidents.declare import IncidentDraft, declare_incident
from core.incidents.segment import Segment
from core.models import ChannelIdentity, Customer, CustomerOrder, DeliveryStatus, OutboundDelivery
from core.platform import auth

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


async def _declare(engine: AsyncEngine, n: int) -> int:
    async with db.session_factory(engine)() as s:
        for i in range(n):
            customer = Customer(name=f"C{i}", language=("ru", "en")[i % 2])
            s.add(customer)
            await s.flush()
            assert customer.id is not None
            s.add(
                ChannelIdentity(
                    customer_id=customer.id, channel="telegram", external_id=str(7000 + i)
                )
            )
            s.add(
                CustomerOrder(
                    customer_id=customer.id,
                    source="t",
                    external_id=str(i),
                    number=f"N{i}",
                    delivery_region="Iasi",
                )
            )
        await s.commit()
        boss, _ = await auth.create_user(s, name="boss", role="supervisor")
        draft = IncidentDraft(
            title="Courier outage",
            messages={"ru": "Курьеры задерживаются.", "en": "Couriers are late."},
            segment=Segment(region="Iasi"),
        )
        settings = Settings(env="test", _env_file=None)  # type: ignore[call-arg]
        incident = await declare_incident(s, user=boss, draft=draft, settings=settings)
    assert incident.id is not None
    return incident.id


async def _start(url: str, api: LimitedBotApi, data: Path) -> asyncio.subprocess.Process:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CXC_")},
        "CXC_ENV": "test",
        "CXC_DATA_DIR": str(data),
        "CXC_DATABASE_URL": url,
        "CXC_TELEGRAM_TOKEN": TOKEN,
        "CXC_TELEGRAM_API_URL": api.url,
        "CXC_WORKER_INTERVAL_S": "0.2",
        "CXC_CLAIM_LEASE_S": "3",
        "CXC_NOTICE_WINDOW": "40",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "cli.py"),
        "worker",
        cwd=data,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _until(condition: Callable[[], object], within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition() if asyncio.iscoroutinefunction(condition) else condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out")


async def _stop(proc: asyncio.subprocess.Process) -> str:
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    return err.decode()[-3000:]


async def test_killed_mid_broadcast_and_restarted_nobody_gets_two(
    any_engine: AsyncEngine, any_database_url: str, tmp_path: Path
) -> None:
    incident_id = await _declare(any_engine, 60)
    api = LimitedBotApi(delay_s=0.05)
    await api.start()
    sessions = db.session_factory(any_engine)

    async def settled() -> bool:
        async with sessions() as s:
            done = await control.progress(s, incident_id=incident_id)
        return done.pending == 0 and done.sending == 0

    try:
        first = await _start(any_database_url, api, tmp_path)
        await _until(lambda: sum(api.received.values()) >= 15, 90)
        first.kill()  # SIGKILL: no clean-up, claims and attempts left as they were
        await first.wait()
        second = await _start(any_database_url, api, tmp_path)
        try:
            await _until(settled, 120)
        finally:
            log = await _stop(second)
    finally:
        await api.stop()
    assert second.returncode == 0, log
    assert max(api.received.values()) == 1
    async with sessions() as s:
        done = await control.progress(s, incident_id=incident_id)
        failed = (
            await s.exec(
                select(OutboundDelivery).where(OutboundDelivery.status == DeliveryStatus.FAILED)
            )
        ).all()
    assert done.sent + done.failed == 60 and done.sent >= sum(api.received.values()) - done.failed
    assert all("outcome unknown" in (f.error or "") for f in failed)  # reported, never resent
    assert len(api.received) + len(failed) >= 60


async def test_two_workers_send_each_notice_once_within_the_limits(
    any_engine: AsyncEngine, any_database_url: str, tmp_path: Path
) -> None:
    incident_id = await _declare(any_engine, 80)
    api = LimitedBotApi(fail_every=13)
    await api.start()
    sessions = db.session_factory(any_engine)

    async def all_sent() -> bool:
        async with sessions() as s:
            return (await control.progress(s, incident_id=incident_id)).sent == 80

    workers = [await _start(any_database_url, api, tmp_path) for _ in range(2)]
    try:
        await _until(all_sent, 120)
    finally:
        logs = [await _stop(w) for w in workers]
        await api.stop()
    assert [w.returncode for w in workers] == [0, 0], logs
    assert len(api.received) == 80 and set(api.received.values()) == {1}
    assert api.failed > 0  # 502s were retried
