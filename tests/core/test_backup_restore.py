"""docs/deploy.md's backup and restore, for real: a database with a support history is dumped
with pg_dump, restored into a fresh database with pg_restore, and gives the same reports."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import report_fixture as fx

from core import db
from core.learning.version import current_version
from core.reports import metrics
from core.reports.query import ReportFilter
from tests.servers import postgres_server

pytestmark = [pytest.mark.slow, pytest.mark.services]
WINDOW = ReportFilter(start=fx.START, end=fx.END)


async def _report(url: str, *, seed: bool = False) -> tuple[dict[str, Any], int]:
    engine = db.create_engine(url)
    try:
        async with db.session_factory(engine)() as session:
            if seed:
                await fx.build(session)
            figures = await metrics.summary(session, filters=WINDOW, now=fx.NOW)
            return figures, await current_version(session)
    finally:
        await engine.dispose()


async def test_a_dump_restored_into_a_fresh_database_gives_the_same_reports() -> None:
    with postgres_server() as pg:
        await asyncio.to_thread(db.upgrade, pg.url)
        before = await _report(pg.url, seed=True)
        dump = pg.folder / "cxc.dump"
        await asyncio.to_thread(pg.tool, "pg_dump", "-Fc", "-f", str(dump), "postgres")
        await asyncio.to_thread(pg.tool, "createdb", "restored")
        await asyncio.to_thread(pg.tool, "pg_restore", "-d", "restored", str(dump))
        restored = pg.database("restored")
        await asyncio.to_thread(db.upgrade, restored)  # already at head: nothing to do
        after = await _report(restored)
    assert before[0]["cases_opened"] > 0
    assert after == before
