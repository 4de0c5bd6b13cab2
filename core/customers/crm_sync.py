"""The incremental sync of one source: pull what changed since the stored cursor, page by page;
store each page's records and its cursor in one commit.

An interrupted sync (a crash, a network failure, Ctrl-C) resumes from the cursor of the last
page stored: nothing of that page is lost and nothing is stored twice (records are upserts, so
a page pulled again counts as unchanged). A page with records that cannot be read stores its
good records, keeps the last good cursor, names the bad records in ``last_error`` and ends the
sync; so does a connector that fails (``BackendUnavailable``, ``ConfigError``), whose error is
stored and raised again. One sync of a source runs at a time: it holds a lease on the source's
state, renewed with each page and given back at the end (``SyncRunning`` for a second one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, aclosing
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_store import store_cases, store_customers, store_orders
from core.errors import CxcError, InvalidInput, SyncRunning
from core.models import CrmSyncState
from core.models.base import utcnow
from core.ports import CrmConnector, CrmPage

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=10)
"""How long a sync holds its source after its last page: a crashed sync blocks the next one
for at most this long."""
Progress = Callable[[int, int | None], None]


@dataclass(slots=True)
class SyncReport:
    source: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    pages: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: str | None = None

    @property
    def records(self) -> int:
        return self.created + self.updated + self.unchanged


async def sync_source(
    session: AsyncSession,
    *,
    connector: CrmConnector,
    region: str,
    progress: Progress | None = None,
) -> SyncReport:
    """Pull ``connector`` from its stored cursor to the end (see the module). Commits per page.
    Raises SyncRunning while another sync of the same source holds its lease."""
    state = await _claim(session, connector.source)
    report = SyncReport(connector.source, cursor=state.cursor)
    try:
        async with aclosing(connector.pull(since=state.cursor)) as pages:
            async for page in pages:
                if not await _store_page(session, page, report, state, region):
                    break
                if progress is not None:
                    progress(report.records, page.total)
    except CxcError as exc:
        await session.rollback()
        await _end(session, connector.source, error=str(exc))
        raise
    except BaseException:
        await session.rollback()
        await _end(session, connector.source)
        raise
    await _end(session, connector.source)
    return report


async def _store_page(
    session: AsyncSession, page: CrmPage, report: SyncReport, state: CrmSyncState, region: str
) -> bool:
    """Store one page (and its cursor, unless it has errors); False: stop the sync."""
    counts: Counter[str] = Counter()
    errors = list(page.errors)
    source = state.source
    stored = await store_customers(session, page.customers, source=source, region=region)
    for customer, outcome in zip(page.customers, stored, strict=True):
        if isinstance(outcome, InvalidInput):
            errors.append(f"customer {customer.external_id}: {outcome}")
            continue
        counts[outcome.outcome] += 1
        report.conflicts += outcome.conflicts
    counts.update(await store_orders(session, page.orders, source=source))
    counts.update(await store_cases(session, page.cases, source=source))
    report.created += counts["created"]
    report.updated += counts["updated"]
    report.unchanged += counts["unchanged"]
    report.pages += 1
    report.errors += errors
    if not errors:
        state.cursor = page.cursor if page.cursor is not None else state.cursor
    state.last_error = "; ".join(errors)[:1000] or None
    state.updated_at = utcnow()
    state.lease_until = state.updated_at + LEASE
    session.add(state)
    await session.commit()
    report.cursor = state.cursor
    return not errors


async def _state(session: AsyncSession, source: str) -> CrmSyncState:
    state = await session.get(CrmSyncState, source)
    if state is None:
        state = CrmSyncState(source=source)
        session.add(state)
        await session.commit()
    return state


async def _claim(session: AsyncSession, source: str) -> CrmSyncState:
    """The source's state, its lease taken for this sync (one conditional UPDATE)."""
    await _state(session, source)
    now = utcnow()
    free = or_(col(CrmSyncState.lease_until).is_(None), col(CrmSyncState.lease_until) < now)
    stmt = (
        update(CrmSyncState)
        .where(col(CrmSyncState.source) == source, free)
        .values(lease_until=now + LEASE)
    )
    result: Any = await session.exec(stmt.execution_options(synchronize_session=False))  # type: ignore[call-overload]
    await session.commit()
    state = await session.get(CrmSyncState, source, populate_existing=True)
    assert state is not None
    if result.rowcount != 1:
        raise SyncRunning(source, state.lease_until)
    return state


async def _end(session: AsyncSession, source: str, *, error: str | None = None) -> None:
    """Give the lease back; store ``error`` when the sync failed."""
    state = await _state(session, source)
    state.lease_until = None
    if error is not None:
        state.last_error = error[:1000]
        state.updated_at = utcnow()
        log.warning("crm sync of %s stopped: %s", source, error)
    session.add(state)
    await session.commit()


async def sync_periodically(
    sessions: Callable[[], AsyncSession],
    *,
    connect: Callable[[], AbstractAsyncContextManager[CrmConnector]],
    region: str,
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Sync the connector ``connect`` opens, then every ``interval_s`` seconds, until ``stop``.
    A failed sync is logged (and stored as the source's ``last_error``); the next one retries
    from the last good cursor."""
    while not stop.is_set():
        try:
            async with connect() as connector, sessions() as session:
                report = await sync_source(session, connector=connector, region=region)
            log.info(
                "crm sync of %s: %d created, %d updated, %d unchanged, %d errors",
                report.source, report.created, report.updated, report.unchanged,
                len(report.errors),
            )  # fmt: skip
        except Exception as exc:
            log.warning("crm sync failed (%s: %s); retrying after the interval",
                        type(exc).__name__, exc)  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)


async def sync_state(session: AsyncSession, *, source: str) -> CrmSyncState | None:
    return await session.get(CrmSyncState, source)
