"""Is this process able to serve? The database answers, the knowledge base has entries, the
vector store (embedded Chroma or a Chroma server) answers. ``GET /health`` shapes it; a load
balancer takes a replica out while ``ok`` is false. The other processes' last heartbeats are
listed too, for a person to read: they never make this process unhealthy."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from core.db import is_outage
from core.domain import StoreStatus
from core.platform.beats import Beat, recent_beats
from core.ports import Retriever

CHECK_TIMEOUT_S = 5.0
"""A check that has not answered by then counts as down (a black-holed host never refuses)."""


@dataclass(frozen=True, slots=True)
class Health:
    database: bool
    knowledge: str
    """``ready``, ``empty`` (nothing to answer from: every question is escalated) or ``off``
    (this process answers nothing)."""
    entries: int
    store: StoreStatus | None
    """The vector store's heartbeat; None when the process has no knowledge base."""
    processes: list[Beat] = field(default_factory=list)
    """The bot's and the workers' last heartbeats (informational)."""

    @property
    def ok(self) -> bool:
        return self.database and (self.store is None or self.store.up)


async def check_health(session: AsyncSession, *, retriever: Retriever | None) -> Health:
    database, store = await asyncio.gather(_database_up(session), _store(retriever))
    entries = len(retriever.entries()) if retriever is not None else 0
    knowledge = "off" if retriever is None else "ready" if entries else "empty"
    processes = await _beats(session) if database else []
    return Health(database, knowledge, entries, store, processes)


async def _beats(session: AsyncSession) -> list[Beat]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return await recent_beats(session)
    except Exception as exc:  # informational: never a reason to fail the report
        if isinstance(exc, TimeoutError) or is_outage(exc):
            return []
        raise


async def _database_up(session: AsyncSession) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except Exception as exc:
        if isinstance(exc, TimeoutError) or is_outage(exc):
            return False
        raise
    return True


async def _store(retriever: Retriever | None) -> StoreStatus | None:
    if retriever is None:
        return None
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            return await retriever.store_status()
    except TimeoutError:
        return StoreStatus("unknown", False, f"no answer in {CHECK_TIMEOUT_S:.0f}s")
