"""The files connector through the real sync on SQLite and PostgreSQL: the sample export, a
second sync that changes nothing, an interrupted sync that resumes with no gaps and no
duplicates, a malformed record named with the last good cursor kept."""

from __future__ import annotations

import shutil
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_sync import sync_source, sync_state
from core.errors import BackendUnavailable
from core.models import ChannelIdentity, CrmCase, Customer, CustomerOrder
from core.ports import CrmPage, CrmRecord
from crm_adapters.files import FileConnector

SAMPLES = Path(__file__).parents[2] / "samples" / "crm"


async def count(session: AsyncSession, model: type) -> int:
    return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_the_sample_export_is_stored_once(any_session: AsyncSession) -> None:
    first = await sync_source(any_session, connector=FileConnector(SAMPLES), region="RU")
    assert (first.created, first.updated, first.errors) == (9, 0, [])
    again = await sync_source(any_session, connector=FileConnector(SAMPLES), region="RU")
    assert (again.created, again.updated, again.errors) == (0, 0, [])
    assert again.unchanged >= 1  # the newest records are pulled again (>= the cursor)
    assert (await count(any_session, Customer), await count(any_session, CustomerOrder)) == (3, 4)
    assert await count(any_session, CrmCase) == 2
    phone = (
        await any_session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "phone"))
    ).all()
    assert "+79120000237" in {p.external_id for p in phone}
    email = (
        await any_session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "email"))
    ).all()
    assert "olga.petrenko@example.com" in {e.external_id for e in email}
    order = (
        await any_session.exec(select(CustomerOrder).where(CustomerOrder.number == "100238"))
    ).one()
    assert order.total == 4390.0  # the items' sum: no total in the file
    assert order.promised_at is not None and order.promised_at.day == 24


async def test_a_changed_record_is_updated(any_session: AsyncSession, tmp_path: Path) -> None:
    folder = shutil.copytree(SAMPLES, tmp_path / "crm")
    await sync_source(any_session, connector=FileConnector(folder), region="RU")
    orders = (folder / "orders.csv").read_text(encoding="utf-8")
    changed = orders.replace("shipped,RUB,12990,", "delivered,RUB,12990,").replace(
        "2026-11-03T07:00:00Z", "2026-11-07T07:00:00Z"
    )
    (folder / "orders.csv").write_text(changed, encoding="utf-8")
    report = await sync_source(any_session, connector=FileConnector(folder), region="RU")
    assert (report.created, report.updated) == (0, 1)
    order = (
        await any_session.exec(select(CustomerOrder).where(CustomerOrder.number == "100311"))
    ).one()
    assert order.status == "delivered"


class FailsAfter:
    """The files connector, with the network failing after ``pages`` pages."""

    source = "files"

    def __init__(self, folder: Path, pages: int) -> None:
        self.inner = FileConnector(folder, page_size=2)
        self.pages = pages

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        n = 0
        async for page in self.inner.pull(since=since):
            if n == self.pages:
                raise BackendUnavailable("the CRM stopped answering")
            n += 1
            yield page

    async def customer_history(self, identities: object) -> list[CrmRecord]:
        return []


async def test_an_interrupted_sync_resumes_without_gaps_or_duplicates(
    any_session: AsyncSession,
) -> None:
    with pytest.raises(BackendUnavailable):
        await sync_source(any_session, connector=FailsAfter(SAMPLES, 2), region="RU")
    state = await sync_state(any_session, source="files")
    assert state is not None and state.cursor is not None
    assert state.last_error == "the CRM stopped answering"
    assert await count(any_session, Customer) == 3  # the two stored pages
    assert await count(any_session, CustomerOrder) == 0
    resumed = await sync_source(any_session, connector=FailsAfter(SAMPLES, 99), region="RU")
    assert resumed.errors == [] and resumed.created == 6
    assert (await count(any_session, Customer), await count(any_session, CustomerOrder)) == (3, 4)
    assert await count(any_session, CrmCase) == 2
    state = await sync_state(any_session, source="files")
    assert state is not None and state.last_error is None


async def test_a_malformed_record_is_named_and_the_cursor_kept(
    any_session: AsyncSession, tmp_path: Path
) -> None:
    folder = shutil.copytree(SAMPLES, tmp_path / "crm")
    await sync_source(any_session, connector=FileConnector(folder), region="RU")
    good = (await sync_state(any_session, source="files")).cursor  # type: ignore[union-attr]
    orders = (folder / "orders.csv").read_text(encoding="utf-8")
    bad = orders.replace("2026-11-06,,", "next week,,").replace(
        "2026-11-03T07:00:00Z", "2026-11-09T07:00:00Z"
    )
    (folder / "orders.csv").write_text(bad, encoding="utf-8")
    report = await sync_source(any_session, connector=FileConnector(folder), region="RU")
    assert report.errors == [
        "orders.csv row 3 (order O-5002): promised_at 'next week' is not a date or time"
    ]
    state = await sync_state(any_session, source="files")
    assert state is not None and state.cursor == good
    assert state.last_error is not None and "O-5002" in state.last_error


async def test_the_periodic_sync_runs_until_stopped_and_survives_a_failure(
    engine: object, tmp_path: Path
) -> None:
    import asyncio
    from contextlib import asynccontextmanager

    from core import db
    from core.customers.crm_sync import sync_periodically

    sessions = db.session_factory(engine)  # type: ignore[arg-type]
    stop = asyncio.Event()
    opened: list[str] = []

    @asynccontextmanager
    async def connect() -> AsyncIterator[FileConnector]:
        opened.append("x")
        if len(opened) == 1:
            raise BackendUnavailable("the CRM is down")
        if len(opened) == 3:
            stop.set()
        yield FileConnector(SAMPLES)

    await asyncio.wait_for(
        sync_periodically(sessions, connect=connect, region="RU", interval_s=0.01, stop=stop),
        timeout=30,
    )
    assert len(opened) == 3
    async with sessions() as session:
        assert await count(session, CustomerOrder) == 4


async def test_one_sync_of_a_source_at_a_time(any_session: AsyncSession) -> None:
    from datetime import timedelta

    from core.errors import SyncRunning
    from core.models import CrmSyncState
    from core.models.base import utcnow

    running = CrmSyncState(source="files", lease_until=utcnow() + timedelta(minutes=5))
    any_session.add(running)
    await any_session.commit()
    with pytest.raises(SyncRunning, match="a sync of files is running"):
        await sync_source(any_session, connector=FileConnector(SAMPLES), region="RU")
    assert await count(any_session, Customer) == 0
    running.lease_until = utcnow() - timedelta(seconds=1)  # its process died: the lease ran out
    any_session.add(running)
    await any_session.commit()
    report = await sync_source(any_session, connector=FileConnector(SAMPLES), region="RU")
    assert report.created == 9
    state = await sync_state(any_session, source="files")
    assert state is not None and state.lease_until is None  # given back
