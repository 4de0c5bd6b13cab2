"""Benchmark: the supervisor summary over 100,000 cases and 1,000,000 messages on PostgreSQL.

Creates a fresh database on the server (``--url``, default the local test server), migrates it,
fills it with INSERT ... SELECT generate_series (about a minute), runs ANALYZE, then times
``core.reports.metrics.summary`` (one warm-up, then ``--runs`` timed runs) and prints the
figures. The database is dropped afterwards unless ``--keep``.

    uv run python benchmarks/bench_reports.py
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core import db
from core.reports.metrics import ReportFilter, summary

DEFAULT_URL = "postgresql+asyncpg://cxc:cxc@127.0.0.1:5432/cxc_test"
FILL = [
    """INSERT INTO customer (name, language, tier, lifetime_value, attributes, created_at)
       SELECT 'c' || g, 'en', 'standard', 0, '{}', now() FROM generate_series(1, 20000) g""",
    """INSERT INTO "case" (customer_id, status, owner, assigned_operator, topic, origin_channel,
         opened_at, first_response_at, resolved_at, reopen_count, resolution_code)
       SELECT 1 + g % 20000,
              CASE WHEN g % 10 = 0 THEN 'open' ELSE 'resolved' END,
              CASE WHEN g % 10 = 0 AND g % 3 = 0 THEN 'human' ELSE 'bot' END,
              CASE WHEN g % 3 = 0 THEN 'op' || (g % 20) END,
              (ARRAY['delivery','refund','payment','account'])[1 + g % 4],
              (ARRAY['telegram','web','email'])[1 + g % 3],
              ts, ts + (g % 300) * interval '1 second',
              CASE WHEN g % 10 <> 0 THEN ts + ((g * 37) % 200000) * interval '1 second' END,
              CASE WHEN g % 17 = 0 THEN 1 ELSE 0 END, 'fixed'
       FROM (SELECT g, timestamptz '2026-01-01' + g * interval '60 second' AS ts
             FROM generate_series(1, 100000) g) s""",
    """INSERT INTO message (case_id, direction, channel, author, text, event, attachments, meta,
         created_at)
       SELECT c.id,
              CASE WHEN k % 2 = 0 THEN 'out' ELSE 'in' END, c.origin_channel,
              CASE WHEN k = 3 OR (k = 4 AND c.id % 3 = 0) THEN 'system'
                   WHEN k >= 5 AND k % 2 = 0 AND c.id % 3 = 0 THEN 'operator'
                   WHEN k % 2 = 0 THEN 'bot' ELSE 'customer' END,
              CASE WHEN k = 3 THEN 'opened' WHEN k = 4 AND c.id % 3 = 0 THEN 'escalated'
                   ELSE 'message text ' || k END,
              CASE WHEN k = 3 THEN 'opened' WHEN k = 4 AND c.id % 3 = 0 THEN 'escalated' END,
              '[]', '{}', c.opened_at + k * interval '30 second'
       FROM "case" c CROSS JOIN generate_series(1, 10) k""",
    """INSERT INTO pulse (case_id, customer_id, channel, kind, status, resolved_at, due_at,
         sent_at, expires_at, answered_at, csat, ces, token, created_at)
       SELECT id, customer_id, origin_channel, 'csat_ces',
              CASE WHEN id % 4 = 0 THEN 'answered' ELSE 'expired' END, resolved_at,
              resolved_at + interval '1 minute', resolved_at + interval '1 minute',
              resolved_at + interval '73 hours',
              CASE WHEN id % 4 = 0 THEN resolved_at + interval '1 hour' END,
              CASE WHEN id % 4 = 0 THEN 1 + id % 5 END, CASE WHEN id % 4 = 0 THEN 1 + id % 7 END,
              't' || id, now()
       FROM "case" WHERE resolved_at IS NOT NULL AND id % 2 = 0""",
    """INSERT INTO pulse (customer_id, channel, kind, status, due_at, sent_at, expires_at,
         answered_at, nps, token, created_at)
       SELECT 1 + g % 20000, 'telegram', 'nps', 'answered', ts, ts, ts + interval '72 hours',
              ts + interval '1 hour', g % 11, 'n' || g, ts
       FROM (SELECT g, timestamptz '2026-01-01' + g * interval '20 minute' AS ts
             FROM generate_series(1, 5000) g) s""",
    """INSERT INTO compensation (case_id, customer_id, policy_version, issue_type, items, value,
         currency, reason, facts, status, requires_approval, created_by, created_at)
       SELECT id, customer_id, 1, 'late_delivery', '[]', 100 + id % 900, 'RUB', '', '{}',
              (ARRAY['issued','approved','rejected'])[1 + id % 3], false, 'op1', opened_at
       FROM "case" WHERE id % 20 = 0""",
    """INSERT INTO promise (case_id, customer_id, text, due_at, status, created_by, created_at)
       SELECT id, customer_id, 'call back', opened_at + interval '2 days',
              (ARRAY['open','kept','broken'])[1 + id % 3], 'op1', opened_at
       FROM "case" WHERE id % 20 = 1""",
    """INSERT INTO suggestion_use (case_id, user_name, shown_at, accepted_at, ref)
       SELECT id, 'op' || (id % 20), opened_at,
              CASE WHEN id % 2 = 0 THEN opened_at + interval '1 minute' END, 'draft'
       FROM "case" WHERE id % 3 = 0""",
    "ANALYZE",
]
COUNT = 'SELECT (SELECT count(*) FROM "case"), (SELECT count(*) FROM message)'


async def _admin(base: str, sql: str) -> None:
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def _fill(url: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        for sql in FILL:
            started = time.perf_counter()
            await conn.execute(text(sql))
            print(
                f"  {sql.split()[0]} {sql.split()[2] if len(sql.split()) > 2 else ''}: "
                f"{time.perf_counter() - started:.1f} s"
            )
        cases, messages = (await conn.execute(text(COUNT))).one()
    await engine.dispose()
    print(f"data: {cases:,} cases, {messages:,} messages")


async def _time(url: str, runs: int) -> None:
    engine = db.create_engine(url)
    factory = db.session_factory(engine)
    now = datetime(2026, 4, 1, tzinfo=UTC)
    for label, filters in (
        ("all cases", ReportFilter(datetime(2026, 1, 1, tzinfo=UTC), now)),
        ("channel=telegram", ReportFilter(datetime(2026, 1, 1, tzinfo=UTC), now, "telegram")),
        (
            "one week",
            ReportFilter(datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 2, 8, tzinfo=UTC)),
        ),
    ):
        times = []
        for i in range(runs + 1):
            async with factory() as session:
                started = time.perf_counter()
                result = await summary(session, filters=filters, now=now)
                if i:
                    times.append(time.perf_counter() - started)
        print(
            f"summary ({label}): median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {runs} runs; "
            f"cases_opened={result['cases_opened']:,}, ttr_p50_s={result['ttr_p50_s']:.0f}"
        )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="any database on the target server")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    args = parser.parse_args()
    name = f"cxc_bench_{uuid.uuid4().hex[:8]}"
    url = args.url.rsplit("/", 1)[0] + f"/{name}"
    asyncio.run(_admin(args.url, f'CREATE DATABASE "{name}"'))
    try:
        db.upgrade(url)
        print(f"database {name}: filling")
        asyncio.run(_fill(url))
        asyncio.run(_time(url, args.runs))
    finally:
        if not args.keep:
            asyncio.run(_admin(args.url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
