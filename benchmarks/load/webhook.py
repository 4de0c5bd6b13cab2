"""(a) `POST /telegram/webhook` at a constant rate, then the queue drained by the bot.

Every update is a real Telegram message update from its own chat (a messenger-style customer
message), posted with the secret header; the route only acknowledges and queues it. The
measured run follows a warm-up at the same rate (``WARM_UP_S``, reported on its own): a cold
server's first second (client connections opened, the database pools filled) is a start-up,
not the steady rate Telegram's kept-alive connections bring. Then
`cxc bot --webhook-worker` starts against a loopback Bot API and the run waits until every
queued update of this run is processed: each processed once (done, one attempt), each chat
answered, no chat sent the same message twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from benchmarks.contact_centre.botapi import DayBotApi
from benchmarks.contact_centre.processes import SECRET
from benchmarks.load import driver, stack
from core import db
from core.models import InboundUpdate, UpdateStatus

HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
WARM_UP_S = 3.0


def update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A message update exactly as Telegram posts it to a webhook."""
    user = {"id": chat_id, "is_bot": False, "first_name": f"C{chat_id % 10_000}",
            "language_code": "uk"}  # fmt: skip
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": user["first_name"]},
            "from": user,
            "text": text,
        },
    }


async def run(
    settings: stack.Settings,
    server: stack.Server,
    bot_api: DayBotApi,
    *,
    texts: Sequence[str],
    rate: float,
    seconds: float,
    drain_timeout_s: float,
    bot_replicas: int = 1,
) -> dict[str, Any]:
    first = int(time.time() * 1000) * 1000  # this run's update and chat ids: unique per run
    warm = int(rate * WARM_UP_S)
    updates = [
        update(first + i, first + i, texts[i % len(texts)])
        for i in range(warm + int(rate * seconds))
    ]

    def sender(offset: int) -> driver.Send:
        async def send(http: driver.Client, i: int) -> driver.Answer:
            body = updates[offset + i]
            response = await http.post("/telegram/webhook", json=body, headers=HEADERS)
            if response.is_success and response.json().get("queued") is not True:
                return driver.Answer(409, b"not queued")  # counted as an error
            return response

        return send

    async with driver.client(server.base_url) as http:
        warm_up = await driver.open_loop(http, sender(0), rate=rate, seconds=WARM_UP_S)
        load = await driver.open_loop(
            http, sender(warm_up.sent), rate=rate, seconds=seconds, cpu=server.cpu_s
        )
    ids = [u["update_id"] for u in updates[: warm_up.sent + load.sent]]
    drain = await _drain(settings, bot_api, ids, timeout_s=drain_timeout_s, replicas=bot_replicas)
    return {**load.report(), "warm_up": _brief(warm_up), "drain": drain}


def _brief(result: driver.LoadResult) -> dict[str, Any]:
    full = result.report()
    return {k: full[k] for k in ("requests", "errors", "p50_ms", "p99_ms", "max_ms")}


async def _drain(
    settings: stack.Settings, bot_api: DayBotApi, ids: list[int], *, timeout_s: float,
    replicas: int,
) -> dict[str, Any]:  # fmt: skip
    engine = db.create_engine(stack.database_url(settings))
    lo, hi = min(ids), max(ids)
    try:
        started = time.perf_counter()
        async with stack.bot_workers(settings, replicas) as bots:
            left = len(ids)
            while left and time.perf_counter() - started < timeout_s:
                await asyncio.sleep(0.5)
                left = await _unfinished(engine, lo, hi)
            drained_s = time.perf_counter() - started
            bot_cpu_s = sum(stack.cpu_seconds(bot.pid) for bot in bots)
        statuses = await _statuses(engine, lo, hi)
    finally:
        await engine.dispose()
    answered = [chat for chat in ids if bot_api.chat(chat)]
    repeated = [
        c for c in answered if len({s.text for s in bot_api.chat(c)}) < len(bot_api.chat(c))
    ]
    return {
        "updates": len(ids),
        "bot_replicas": replicas,
        "drain_s": round(drained_s, 1),
        "processed_per_s": round(statuses.get("done", 0) / drained_s, 1),
        "bot_cpu_ms_per_update": round(bot_cpu_s * 1e3 / len(ids), 1),  # start-up included
        "statuses": statuses,
        "chats_answered": len(answered),
        "chats_unanswered": len(ids) - len(answered),
        "chats_sent_a_message_twice": len(repeated),
        "all_answered_once": statuses == {"done": len(ids)} and len(answered) == len(ids)
        and not repeated,
    }  # fmt: skip


async def _unfinished(engine: Any, lo: int, hi: int) -> int:
    async with db.session_factory(engine)() as s:
        query = select(func.count()).where(
            col(InboundUpdate.update_id).between(lo, hi),
            col(InboundUpdate.status).in_([UpdateStatus.PENDING, UpdateStatus.PROCESSING]),
        )
        return int((await s.exec(query)).one())


async def _statuses(engine: Any, lo: int, hi: int) -> dict[str, int]:
    """Rows by status; a row tried more than once counts as ``retried``."""
    async with db.session_factory(engine)() as s:
        rows = (
            await s.exec(
                select(InboundUpdate.status, InboundUpdate.attempts).where(
                    col(InboundUpdate.update_id).between(lo, hi)
                )
            )
        ).all()
    out: dict[str, int] = {}
    for status, attempts in rows:
        key = str(status) if attempts <= 1 else f"{status}_retried"
        out[key] = out.get(key, 0) + 1
    return out
