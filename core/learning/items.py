"""The knowledge base's system of record: ``knowledge_item`` rows kept in step with the FAQs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry
from core.models import KnowledgeItem
from core.models.base import utcnow


def entry_hash(entry: FaqEntry) -> str:
    payload = [entry.questions, entry.answer, entry.language, entry.tags, entry.translations]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


async def sync_knowledge_items(
    session: AsyncSession, *, entries: Sequence[FaqEntry]
) -> dict[str, int]:
    """Upsert changed entries and delete the ones no longer present, in one transaction."""
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
        item.source = entry.source[:500]
        item.content_hash = digest
        item.updated_at = utcnow()
        session.add(item)
    for stale in existing.values():
        await session.delete(stale)
        counts["deleted"] += 1
    await session.commit()
    return counts


async def list_knowledge_items(session: AsyncSession) -> list[KnowledgeItem]:
    return list((await session.exec(select(KnowledgeItem).order_by(KnowledgeItem.id))).all())
