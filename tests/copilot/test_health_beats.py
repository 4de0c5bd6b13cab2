"""GET /health lists the bot's and the workers' last heartbeats, for a person to read: a stale
or missing beat never turns the report into a 503."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models.base import utcnow
from core.platform.beats import Heart, ProcessKind, record_beat


async def test_health_lists_the_last_beats_and_stays_ok_when_one_is_stale(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    before = (await client.get("/health")).json()
    assert before["processes"] == []

    worker = Heart(lambda: db_session, ProcessKind.WORKER, 15.0, host="worker-1", pid=11)
    bot = Heart(lambda: db_session, ProcessKind.BOT, 15.0, host="bot-1", pid=22)
    await record_beat(db_session, heart=worker, now=utcnow() - timedelta(seconds=5))
    await record_beat(db_session, heart=bot, now=utcnow() - timedelta(hours=2))
    res = await client.get("/health")
    assert res.status_code == 200 and res.json()["status"] == "ok"
    listed = {p["kind"]: p for p in res.json()["processes"]}
    assert "host" not in listed["worker"] and "pid" not in listed["worker"]  # no token needed
    assert "worker-1" not in res.text and "bot-1" not in res.text
    assert 4 <= listed["worker"]["age_s"] < 60
    assert listed["bot"]["age_s"] >= 7200 - 1
