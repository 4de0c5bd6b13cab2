"""An incident broadcast to N customers through the product's code against a loopback Bot API
that enforces Telegram's limits (``--rate`` messages a second overall, one a second per chat,
429 with ``retry_after`` beyond them).

Seeds N customers with a Telegram identity and an order in one region on a fresh, migrated
database, declares the incident (``core.incidents.declare``: the segment query and one notice per
customer), then runs ``--workers`` worker loops side by side in this process (each the worker
pass, which queues notices into the delivery log, and a ``TelegramOutbound`` draining it) until
every notice is sent or failed. Prints, as JSON: the declaration's seconds, the broadcast's
seconds and messages a second, the 429s answered, how many chats got more than one message
(must be 0) and the peak resident memory.

Run:  uv run python -m benchmarks.bench_broadcast [--customers 50000] [--rate 30] [--workers 2]
      [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from sqlalchemy import insert, text

from bot.app import connected_bot, deliver_queued_forever
from bot.outbound import TelegramOutbound
from core import db, worker
from core.config import Settings
from core.incidents import control
from core.incidents.declare import IncidentDraft, declare_incident
from core.incidents.segment import Segment
from core.models import ChannelIdentity, Customer, CustomerOrder
from core.platform import auth

TOKEN = "123456789:AAFakeTokenForBenchmarksOnly-abcdefgh"
LANGUAGES = ("ru", "uk", "ro", "en")
BOT = {"id": 4242, "is_bot": True, "first_name": "CX", "username": "cx_bench_bot"}


class LimitedApi:
    """sendMessage under Telegram's limits; counts what each chat received."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.received: Counter[str] = Counter()
        self.too_many = 0
        self._recent: deque[float] = deque()
        self._last: dict[str, float] = {}

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        form = dict(await request.post())
        chat, now = str(form["chat_id"]), time.monotonic()
        while self._recent and now - self._recent[0] > 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.rate or now - self._last.get(chat, -9.0) < 1.0:
            self.too_many += 1
            body = {"ok": False, "error_code": 429, "description": "Too Many Requests",
                    "parameters": {"retry_after": 1}}  # fmt: skip
            return web.json_response(body, status=429)
        self._recent.append(now)
        self._last[chat] = now
        self.received[chat] += 1
        message = {"message_id": sum(self.received.values()), "date": 1_700_000_000,
                   "chat": {"id": int(chat), "type": "private"}, "text": form["text"]}  # fmt: skip
        return web.json_response({"ok": True, "result": message})


async def seed(url: str, customers: int) -> None:
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        for start in range(0, customers, 5000):
            ids = range(start + 1, min(start + 5001, customers + 1))
            await conn.execute(insert(Customer), [_customer(i) for i in ids])
            await conn.execute(insert(ChannelIdentity), [_identity(i) for i in ids])
            await conn.execute(insert(CustomerOrder), [_order(i) for i in ids])
        if engine.dialect.name == "postgresql":
            await conn.execute(
                text("SELECT setval('customer_id_seq', (SELECT max(id) FROM customer))")
            )
    await engine.dispose()


def _customer(i: int) -> dict[str, Any]:
    return {"id": i, "name": f"C{i}", "language": LANGUAGES[i % 4]}


def _identity(i: int) -> dict[str, Any]:
    return {"customer_id": i, "channel": "telegram", "external_id": str(10_000_000 + i)}


def _order(i: int) -> dict[str, Any]:
    return {
        "customer_id": i,
        "source": "bench",
        "external_id": str(i),
        "number": f"N{i}",
        "delivery_region": "Chisinau",
    }


async def run(url: str, customers: int, rate: float, workers: int) -> dict[str, Any]:
    api = LimitedApi(rate)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    settings = Settings(  # type: ignore[call-arg]
        env="test", database_url=url, telegram_token=SecretStr(TOKEN),
        telegram_api_url=f"http://127.0.0.1:{port}", worker_interval_s=0.5,
        telegram_global_rate_per_s=rate / workers, _env_file=None,
    )  # fmt: skip
    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    async with sessions() as s:
        boss, _ = await auth.create_user(s, name="boss", role="supervisor")
        messages = {lang: f"Courier outage ({lang}). We are sorry." for lang in LANGUAGES}
        segment = Segment(region="Chisinau")
        draft = IncidentDraft(title="Courier outage", messages=messages, segment=segment)
        began = time.perf_counter()
        incident = await declare_incident(s, user=boss, draft=draft, settings=settings)
        declared = time.perf_counter() - began
    assert incident.id is not None
    stop = asyncio.Event()
    began = time.perf_counter()
    async with connected_bot(settings) as bot:
        tasks = []
        for n in range(workers):
            outbound = TelegramOutbound(
                bot, settings=settings, session_factory=sessions, owner=f"w{n}"
            )
            tasks.append(
                asyncio.create_task(deliver_queued_forever(outbound, stop, interval_s=0.2))
            )
            tasks.append(
                asyncio.create_task(worker.run_worker(sessions, settings=settings, stop=stop))
            )
        while True:
            await asyncio.sleep(1.0)
            async with sessions() as s:
                done = await control.progress(s, incident_id=incident.id)
            if done.pending == 0 and done.sending == 0:
                break
            if int(time.perf_counter() - began) % 30 == 0:
                print(f"{time.perf_counter() - began:.0f}s: {done}", file=sys.stderr, flush=True)
        stop.set()
        await asyncio.gather(*tasks)
    seconds = time.perf_counter() - began
    await engine.dispose()
    await runner.cleanup()
    return {
        "customers": customers, "workers": workers, "rate_limit_per_s": rate,
        "declare_s": round(declared, 2), "broadcast_s": round(seconds, 1),
        "messages_per_s": round(done.sent / seconds, 2), "sent": done.sent, "failed": done.failed,
        "answered_429": api.too_many,
        "chats_with_duplicates": sum(1 for n in api.received.values() if n > 1),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        db.upgrade(url)
        asyncio.run(seed(url, args.customers))
        print(json.dumps(asyncio.run(run(url, args.customers, args.rate, args.workers)), indent=2))


if __name__ == "__main__":
    main()
