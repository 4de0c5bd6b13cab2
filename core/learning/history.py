"""The knowledge versions as a history: each holds a snapshot of the record, and a rollback
restores the record as of an earlier version, re-syncs the index from it and adds a version
(so every answering process reloads, as after any change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import InvalidInput, InvalidTransition, NotFound
from core.learning.items import list_knowledge_items, record_entries
from core.learning.version import current_version, item_of, record_change
from core.models import KnowledgeVersion
from core.ports import Retriever


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One knowledge version: why it was made, and how many entries the record held then
    (None: made before snapshots were kept; it cannot be rolled back to)."""

    id: int
    reason: str
    detail: str
    created_at: datetime
    entries: int | None


async def list_versions(session: AsyncSession, *, limit: int = 50) -> list[VersionInfo]:
    """The newest versions first."""
    stmt = select(KnowledgeVersion).order_by(col(KnowledgeVersion.id).desc()).limit(limit)
    return [_info(v) for v in (await session.exec(stmt)).all()]


async def rollback_knowledge(
    session: AsyncSession, *, retriever: Retriever, to: int | None = None
) -> VersionInfo:
    """Restore the record as of version ``to`` (default: the one before the current), index
    it (learned phrasings included) and add a version; returns the new version."""
    current = await current_version(session)
    target = await _target(session, current, to)
    if target.snapshot is None:
        raise InvalidTransition(f"knowledge version {target.id} has no snapshot to restore")
    if not target.snapshot:
        raise InvalidInput(f"knowledge version {target.id} held no entries")
    items = [item_of(row) for row in target.snapshot]
    record = await record_entries(session, items)
    await retriever.ingest(record.entries, learned=record.learned)
    for item in await list_knowledge_items(session):
        await session.delete(item)
    await session.flush()
    session.add_all(items)
    await record_change(session, reason="rollback", detail=f"to version {target.id}")
    await session.commit()
    newest = await session.get(KnowledgeVersion, await current_version(session))
    assert newest is not None
    return _info(newest)


async def _target(session: AsyncSession, current: int, to: int | None) -> KnowledgeVersion:
    if to is None:
        stmt = select(KnowledgeVersion).where(col(KnowledgeVersion.id) < current)
        found = (await session.exec(stmt.order_by(col(KnowledgeVersion.id).desc()))).first()
        if found is None:
            raise InvalidTransition("there is no earlier knowledge version to roll back to")
        return found
    if to == current:
        raise InvalidTransition(f"knowledge version {to} is the current one")
    version = await session.get(KnowledgeVersion, to)
    if version is None:
        raise NotFound("knowledge version", to)
    return version


def _info(version: KnowledgeVersion) -> VersionInfo:
    assert version.id is not None
    entries = None if version.snapshot is None else len(version.snapshot)
    return VersionInfo(version.id, version.reason, version.detail, version.created_at, entries)
