"""Importing customers, orders and past cases from export files: ``cxc crm sync --adapter
files``'s code (``FileConnector`` and ``core.customers.crm_sync.sync_source``) on a fresh,
migrated database.

Writes N synthetic customers (each with a phone in a national or international format, an
e-mail, ``--orders`` orders of two items and, for one in ``--case-every``, a past case whose
subject and first message vary by topic, item and order number) as CSV files, syncs them, then
syncs again with nothing changed (the incremental path). With ``--remember`` it then embeds the
past cases into the case memory (``cxc cases remember``'s code, the local encoders, Chroma in
the temporary folder) and times the operator's suggestions on ``--suggestions`` open cases of
imported customers (similar cases, the customer's own past cases, orders, compensation).
Prints, as JSON: records, seconds and records per second of each phase, the suggestions' p50
and p95, and the process's peak resident memory.

Run:  uv run python -m benchmarks.bench_crm_import [--customers 10000] [--orders 2]
      [--case-every 5] [--remember] [--suggestions 200] [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from benchmarks.bench_suggestions import GOODS, TOPICS, phrase
from core import db
from core.config import Settings
from core.customers.crm_sync import sync_source
from core.desk.case_memory import Recollection, remember_cases
from core.desk.suggestions import suggest
from core.models import Author, Case, Customer, Direction, Message, Owner, Role, User
from crm_adapters.files import FileConnector

START = datetime(2026, 1, 1, tzinfo=UTC)


def write_export(folder: Path, customers: int, orders: int, case_every: int) -> int:
    """The CSV files; returns how many records they hold."""
    at = lambda n: (START + timedelta(seconds=n)).isoformat()  # noqa: E731
    with (folder / "customers.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "name", "tier", "lifetime_value", "phones", "emails", "updated_at"])
        for n in range(customers):
            phone = f"+7 912 {n // 10000:03d}-{n // 100 % 100:02d}-{n % 100:02d}"
            phone = phone if n % 2 else "8" + phone[2:]  # half in the national format
            tier = ("standard", "gold", "vip")[n % 3]
            out.writerow(
                [f"C{n}", f"Customer {n}", tier, n * 3.5, phone, f"C{n}@Example.com", at(n)]
            )
    with (folder / "orders.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            ["id", "customer_id", "status", "currency", "promised_at", "items", "updated_at"]
        )
        for n in range(customers * orders):
            items = json.dumps(
                [{"name": "Kettle", "price": 3490}, {"name": "Filter", "quantity": 2, "price": 450}]
            )
            out.writerow(
                [f"O{n}", f"C{n % customers}", "shipped", "RUB", at(n + 86400), items, at(n)]
            )
    with (folder / "cases.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["id", "customer_id", "subject", "outcome", "messages", "updated_at"])
        cases = range(0, customers, case_every)
        rng = random.Random(5)
        for n in cases:
            topic = rng.choice(list(TOPICS))
            said = f"{phrase(rng, topic)}, заказ O{n * orders}"
            messages = json.dumps([{"author": "customer", "text": said}], ensure_ascii=False)
            subject = TOPICS[topic][1].format(x=rng.choice(GOODS))
            out.writerow([f"K{n}", f"C{n}", subject, TOPICS[topic][2], messages, at(n)])
    return customers + customers * orders + len(cases)


# fmt: skip


async def sync(url: str, folder: Path) -> dict[str, float]:
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            start = time.perf_counter()
            report = await sync_source(session, connector=FileConnector(folder), region="RU")
            seconds = time.perf_counter() - start
    finally:
        await engine.dispose()
    assert not report.errors, report.errors[:3]
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "seconds": round(seconds, 1),
        "records_per_s": round(report.records / seconds, 1),
    }


async def remember(url: str, data_dir: Path, queries: int) -> dict[str, float]:
    """Embed the past cases, then time suggestions on open cases of imported customers."""
    from knowledge.store.case_memory import ChromaCaseMemory

    engine = db.create_engine(url)
    sessions = db.session_factory(engine)
    settings = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    memory = Recollection(ChromaCaseMemory(settings))
    try:
        async with sessions() as session:
            start = time.perf_counter()
            done = await remember_cases(session, recollection=memory)
            seconds = time.perf_counter() - start
            ids = await open_cases(session, queries)
        times = []
        user = User(name="bench", role=Role.SUPERVISOR)
        for case_id in ids:
            async with sessions() as session:
                t = time.perf_counter()
                await suggest(session, case_id=case_id, user=user, retriever=None, memory=memory)
                times.append((time.perf_counter() - t) * 1000)
    finally:
        memory.memory.close()  # type: ignore[attr-defined]
        await engine.dispose()
    times.sort()
    return {
        "remembered": done.crm_cases,
        "remember_seconds": round(seconds, 1),
        "remembered_per_s": round(done.crm_cases / seconds, 1) if seconds else 0.0,
        "suggestions": len(times),
        "suggestions_p50_ms": round(statistics.median(times), 1) if times else 0.0,
        "suggestions_p95_ms": round(times[int(len(times) * 0.95) - 1], 1) if times else 0.0,
    }


async def open_cases(session: AsyncSession, n: int) -> list[int]:
    """An open case with a first message for ``n`` imported customers, spread over all."""
    rng = random.Random(9)
    people = (await session.exec(select(Customer.id))).all()
    ids = []
    for customer_id in rng.sample(list(people), min(n, len(people))):
        assert customer_id is not None
        case = Case(customer_id=customer_id, origin_channel="telegram", owner=Owner.HUMAN)
        session.add(case)
        await session.flush()
        assert case.id is not None
        text = phrase(rng, rng.choice(list(TOPICS)))
        session.add(Message(case_id=case.id, direction=Direction.INBOUND, channel="telegram",
                            author=Author.CUSTOMER, text=text))  # fmt: skip
        ids.append(case.id)
    await session.commit()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2, help="orders per customer")
    parser.add_argument("--case-every", type=int, default=5, help="one past case per N customers")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--remember", action="store_true", help="embed the past cases, then")
    parser.add_argument("--suggestions", type=int, default=200, help="open cases to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        records = write_export(folder, args.customers, args.orders, args.case_every)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        db.upgrade(url)
        first = asyncio.run(sync(url, folder))
        print("first sync:", first, file=sys.stderr, flush=True)
        again = asyncio.run(sync(url, folder))
        result: dict[str, object] = {"records": records, "first_sync": first, "second_sync": again}
        if args.remember:
            result["memory"] = asyncio.run(remember(url, folder / "data", args.suggestions))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**result, "peak_rss_mb": round(peak_mb, 1)}, indent=2))


if __name__ == "__main__":
    main()
