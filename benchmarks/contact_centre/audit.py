"""What the day left behind, read back at the end: through the API as a supervisor would
(summary, resolution log, every customer's timeline), and from the database the rows no API
shows (pulses, the delivery log, the update queue)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from benchmarks.contact_centre.context import DayContext


@dataclass
class Audit:
    summary: dict[str, Any] = field(default_factory=dict)
    resolution_log: list[dict[str, str]] = field(default_factory=list)
    timelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    """Each person's whole timeline (all cases, all channels), by person index."""
    cases: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    unknown_customers: list[int] = field(default_factory=list)
    db: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


async def read_api(ctx: DayContext, audit: Audit) -> None:
    token = ctx.supervisor.token
    audit.summary = await ctx.api.ok("GET", "/v1/reports/summary", token)
    got = await ctx.api.call("GET", "/v1/reports/resolutions.csv", token)
    audit.resolution_log = list(csv.DictReader(io.StringIO(got.text)))
    by_customer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    offset = 0
    while True:
        page = await ctx.api.ok("GET", "/v1/cases", token, params={"limit": 500, "offset": offset})
        for case in page:
            by_customer[case["customer_id"]].append(case)
        if len(page) < 500:
            break
        offset += 500
    limit = asyncio.Semaphore(8)

    async def one(customer_id: int, cases: list[dict[str, Any]]) -> None:
        async with limit:
            detail = await ctx.api.ok("GET", f"/v1/cases/{cases[0]['id']}", token)
        person = ctx.person_of(detail["identities"])
        if person is None:
            audit.unknown_customers.append(customer_id)
            return
        audit.timelines[person] = detail["timeline"]
        audit.cases[person] = detail["cases"]

    await asyncio.gather(*(one(c, cases) for c, cases in by_customer.items()))


QUERIES = {
    "pulses": "SELECT id, case_id, customer_id, channel, kind, status, resolved_at, sent_at, "
    "csat, ces, recovery_case_id, error FROM pulse ORDER BY id",
    "cases": 'SELECT id, customer_id, origin_channel, topic, status, resolved_at FROM "case"',
    "identities": "SELECT customer_id, channel, external_id FROM channel_identity",
    "deliveries": "SELECT id, channel, external_id, status, message_id, attempts, error, "
    "parts_sent, provider_message_id FROM outbound_delivery ORDER BY id",
    "updates": "SELECT update_id, status, attempts, error FROM inbound_update ORDER BY update_id",
}


async def read_db(database_url: str, audit: Audit) -> None:
    from core import db

    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as conn:
            for name, sql in QUERIES.items():
                rows = (await conn.execute(text(sql))).mappings().all()
                audit.db[name] = [dict(r) for r in rows]
    finally:
        await engine.dispose()
