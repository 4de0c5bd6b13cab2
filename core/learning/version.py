"""The knowledge version: one number that every process answering from the knowledge base
follows. A change of the knowledge base (an ingest, an approved phrasing or entry) writes the
record and adds a version row in the same transaction, after the index and the saved state
were written; a process that sees the number move reloads the saved state (``Retriever.reload``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import KnowledgeItem, KnowledgeVersion
from core.ports import Retriever

log = logging.getLogger(__name__)


async def current_version(session: AsyncSession) -> int:
    """The newest version (0 before the first change)."""
    newest = (await session.exec(select(func.max(KnowledgeVersion.id)))).one()
    return int(newest or 0)


SNAPSHOT_FIELDS = ("id", "questions", "answer", "language", "tags", "translations", "source")


async def record_change(session: AsyncSession, *, reason: str, detail: str = "") -> None:
    """Add a version row, with a snapshot of the record as the caller's transaction leaves it,
    to that transaction (committed with the record it describes)."""
    items = (await session.exec(select(KnowledgeItem).order_by(KnowledgeItem.id))).all()
    snapshot = [snapshot_of(item) for item in items]
    session.add(KnowledgeVersion(reason=reason, detail=detail[:500], snapshot=snapshot))


def snapshot_of(item: KnowledgeItem) -> dict[str, Any]:
    row = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
    return {**row, "content_hash": item.content_hash}


def item_of(row: dict[str, Any]) -> KnowledgeItem:
    """The record row a snapshot describes."""
    fields = {name: row[name] for name in (*SNAPSHOT_FIELDS, "content_hash") if name in row}
    return KnowledgeItem(**fields)


async def follow_knowledge(
    session_factory: Callable[[], AsyncSession],
    *,
    retriever: Retriever,
    loaded: int,
    interval_s: float,
    stop: asyncio.Event,
) -> None:
    """Reload the retriever whenever the knowledge version moves, until ``stop`` is set.

    ``loaded`` is the version read before the retriever opened its saved state; a failed check
    or reload is logged and tried again after the interval.
    """
    seen = loaded
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval_s)
        if stop.is_set():
            return
        try:
            async with session_factory() as session:
                version = await current_version(session)
            if version != seen:
                await retriever.reload()
                log.info("knowledge version %s: reloaded the knowledge base", version)
                seen = version
        except Exception as exc:  # the database or the saved state may be briefly unavailable
            log.warning("knowledge version check failed (%s); retrying", exc)
