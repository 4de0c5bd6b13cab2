"""(c) `GET /v1/cases/{id}/suggestions` with many resolved cases in the database.

The cases are generated as benchmarks/bench_suggestions.py generates them (resolved cases of a
grocery delivery, a customer for every five) with open cases to ask about, and remembered in
the case memory by `cxc cases remember` (the slow part: about 54 cases/s on 2 cores).
``prepare`` keeps what it made in the data directory (``load_state.json``): a later run on the
same directory (``--keep``) with the same number of cases reuses it. Requests go round the open
cases in a shuffled order, as a supervisor's token.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

from sqlalchemy import text

from benchmarks.bench_suggestions import generate, open_cases
from benchmarks.contact_centre.processes import Settings, cxc
from benchmarks.load import driver, stack
from core import db

STATE = "load_state.json"
SETVAL = "SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), max(id)) FROM \"case\""


def prepare(settings: Settings, *, cases: int, open_count: int) -> dict[str, Any]:
    """The seeded cases (made now, or kept from an earlier run with the same counts)."""
    path = settings.data_dir / STATE
    if path.exists():
        state: dict[str, Any] = json.loads(path.read_text())
        if state["cases"] == cases and len(state["open_case_ids"]) == open_count:
            return {**state, "reused": True}
    url = stack.database_url(settings)
    started = time.perf_counter()
    asyncio.run(_seed(url, cases))
    ids = asyncio.run(open_cases(url, open_count))
    seeded_s = time.perf_counter() - started
    started = time.perf_counter()
    cxc(settings, "cases", "remember", timeout=4 * 3600)
    remembered_s = time.perf_counter() - started
    out = cxc(settings, "users", "create", "--name", f"load{int(time.time())}",
              "--role", "supervisor")  # fmt: skip
    state = {
        "cases": cases,
        "open_case_ids": ids,
        "token": out.strip().splitlines()[-1],
        "seeded_s": round(seeded_s, 1),
        "remembered_s": round(remembered_s, 1),
        "remembered_per_s": round(cases / remembered_s, 1),
    }
    path.write_text(json.dumps(state))
    return {**state, "reused": False}


async def _seed(url: str, cases: int) -> None:
    await generate(url, cases)
    if url.startswith("postgresql"):  # the cases were given their ids: move the sequence on
        engine = db.create_engine(url)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), max(id)) FROM \"case\""
                )
            )
        await engine.dispose()


async def run(
    server: stack.Server, state: dict[str, Any], *, rate: float, seconds: float
) -> dict[str, Any]:
    ids = list(state["open_case_ids"])
    random.Random(5).shuffle(ids)
    headers = {"authorization": f"Bearer {state['token']}"}

    async def send(http: driver.Client, i: int) -> driver.Answer:
        return await http.get(f"/v1/cases/{ids[i % len(ids)]}/suggestions", headers=headers)

    async with driver.client(server.base_url, timeout_s=30) as http:
        for case_id in ids[:5]:  # warm-up
            (await http.get(f"/v1/cases/{case_id}/suggestions", headers=headers)).raise_for_status()
        load = await driver.open_loop(http, send, rate=rate, seconds=seconds, cpu=server.cpu_s)
    return {**load.report(), "cases": state["cases"], "distinct_cases": min(load.sent, len(ids))}
