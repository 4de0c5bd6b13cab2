"""Importing customers, orders and past cases from export files: ``cxc crm sync --adapter
files``'s code (``FileConnector`` and ``core.customers.crm_sync.sync_source``) on a fresh,
migrated database.

Writes N synthetic customers (each with a phone in a national or international format, an
e-mail, ``--orders`` orders of two items and, for one in ``--case-every``, a past case) as CSV
files, syncs them, then syncs again with nothing changed (the incremental path). Prints, as
JSON: records, seconds and records per second of both syncs, and the process's peak resident
memory.

Run:  uv run python -m benchmarks.bench_crm_import [--customers 10000] [--orders 2]
      [--case-every 5] [--database-url postgresql+asyncpg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core import db
from core.customers.crm_sync import sync_source
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
        for n in cases:
            messages = json.dumps([{"author": "customer", "text": "Where is my order?"}])
            out.writerow([f"K{n}", f"C{n}", "Late delivery", "Apologised", messages, at(n)])
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2, help="orders per customer")
    parser.add_argument("--case-every", type=int, default=5, help="one past case per N customers")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        records = write_export(folder, args.customers, args.orders, args.case_every)
        url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        db.upgrade(url)
        first = asyncio.run(sync(url, folder))
        again = asyncio.run(sync(url, folder))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"records": records, "first_sync": first, "second_sync": again}
    print(json.dumps({**result, "peak_rss_mb": round(peak_mb, 1)}, indent=2))


if __name__ == "__main__":
    main()
