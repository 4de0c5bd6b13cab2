"""The knowledge base's system of record: ``knowledge_item`` rows kept in step with the FAQs,
and ingestion as a use case: the index first, then the record and a new knowledge version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry, IngestReport
from core.learning.version import record_change
from core.models import KnowledgeItem
from core.models.base import utcnow
from core.ports import Retriever


@dataclass(frozen=True, slots=True)
class Ingested:
    """What an ingest did to the index (``report``) and to the record (``items``)."""

    report: IngestReport
    items: dict[str, int]


async def ingest_knowledge(
    session: AsyncSession,
    *,
    retriever: Retriever,
    entries: Sequence[FaqEntry],
    progress: Callable[[int, int], None] | None = None,
) -> Ingested:
    """Index ``entries``, then write the record and a new knowledge version in one commit, so
    every answering process reloads. A failed indexing leaves the record as it was."""
    report = await retriever.ingest(entries, progress=progress)
    items = await sync_knowledge_items(session, entries=entries)
    return Ingested(report=report, items=items)


def entry_hash(entry: FaqEntry) -> str:
    payload = [entry.questions, entry.answer, entry.language, entry.tags, entry.translations]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


async def sync_knowledge_items(
    session: AsyncSession, *, entries: Sequence[FaqEntry]
) -> dict[str, int]:
    """Upsert changed entries and delete the ones no longer present, in one transaction; a
    change adds a knowledge version."""
    existing = {item.id: item for item in (await session.exec(select(KnowledgeItem))).all()}
    counts = {"added": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    for entry in entries:
        digest = entry_hash(entry)
        item = existing.pop(entry.id, None)
        if item is not None and item.content_hash == digest:
            counts["unchanged"] += 1
            continue
        counts["added" if item is None else "updated"] += 1
        item = item or KnowledgeItem(id=entry.id)
        item.questions = list(entry.questions)
        item.answer = entry.answer
        item.language = entry.language
        item.tags = list(entry.tags)
        item.translations = dict(entry.translations)
        item.source = entry.source[:500]
        item.content_hash = digest
        item.updated_at = utcnow()
        session.add(item)
    for stale in existing.values():
        await session.delete(stale)
        counts["deleted"] += 1
    if counts["added"] or counts["updated"] or counts["deleted"]:
        detail = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "unchanged")
        record_change(session, reason="ingest", detail=detail)
    await session.commit()
    return counts


async def list_knowledge_items(session: AsyncSession) -> list[KnowledgeItem]:
    return list((await session.exec(select(KnowledgeItem).order_by(KnowledgeItem.id))).all())
