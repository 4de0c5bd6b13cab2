"""The knowledge base's system of record: ``knowledge_item`` rows kept in step with the FAQs,
and ingestion as a use case: the index first, then the record and a new knowledge version.

An ingest adds the files' entries and updates those that changed; the other entries stay.
Replacing the whole record (entries absent from the files are deleted) is asked for
explicitly (``replace``), and every change can be rolled back (``core.learning.history``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry, IngestReport
from core.learning.candidates import phrasing_key
from core.learning.version import record_change
from core.models import CandidateStatus, KnowledgeCandidate, KnowledgeItem
from core.models.base import utcnow
from core.ports import Retriever

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ingested:
    """What an ingest did to the index (``report``) and to the record (``items``)."""

    report: IngestReport
    items: dict[str, int]


@dataclass(frozen=True, slots=True)
class Record:
    """The record as the index needs it: the entries with their source questions, and the
    learned (approved) phrasings apart, by entry id."""

    entries: list[FaqEntry]
    learned: dict[str, list[str]]


async def ingest_knowledge(
    session: AsyncSession,
    *,
    retriever: Retriever,
    entries: Sequence[FaqEntry],
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Ingested:
    """Add ``entries`` to the record (or, with ``replace``, make it hold only them), index
    the result, then write the record and a new knowledge version in one commit, so every
    answering process reloads. A failed indexing leaves the record as it was."""
    kept = [] if replace else (await record_entries(session)).entries
    given = {e.id for e in entries}
    merged = [e for e in kept if e.id not in given] + list(entries)
    report = await retriever.ingest(merged, progress=progress)
    items = await sync_knowledge_items(session, entries=entries, replace=replace)
    return Ingested(report=report, items=items)


async def replaced_ids(session: AsyncSession, *, entries: Sequence[FaqEntry]) -> list[str]:
    """The entries an ingest with ``replace`` would delete: those the files do not hold."""
    given = {e.id for e in entries}
    return [item.id for item in await list_knowledge_items(session) if item.id not in given]


def entry_hash(entry: FaqEntry) -> str:
    payload = [entry.questions, entry.answer, entry.language, entry.tags, entry.translations]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()


async def sync_knowledge_items(
    session: AsyncSession, *, entries: Sequence[FaqEntry], replace: bool = False
) -> dict[str, int]:
    """Upsert changed entries (keeping their learned phrasings) and, with ``replace``, delete
    the ones not given, in one transaction; a change adds a knowledge version."""
    existing = {item.id: item for item in await list_knowledge_items(session)}
    learned = await learned_phrasings(session)
    counts = {"added": 0, "updated": 0, "unchanged": 0, "deleted": 0}
    for entry in entries:
        digest = entry_hash(entry)
        item = existing.pop(entry.id, None)
        if item is not None and item.content_hash == digest:
            counts["unchanged"] += 1
            continue
        counts["added" if item is None else "updated"] += 1
        item = item or KnowledgeItem(id=entry.id)
        keys = {phrasing_key(q) for q in entry.questions}
        kept = [q for q in item.questions if phrasing_key(q) in learned.get(entry.id, set())]
        item.questions = [*entry.questions, *(q for q in kept if phrasing_key(q) not in keys)]
        item.answer = entry.answer
        item.language = entry.language
        item.tags = list(entry.tags)
        item.translations = dict(entry.translations)
        item.source = entry.source[:500]
        item.content_hash = digest
        item.updated_at = utcnow()
        session.add(item)
    for stale in existing.values() if replace else ():
        await session.delete(stale)
        counts["deleted"] += 1
    if counts["added"] or counts["updated"] or counts["deleted"]:
        detail = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k != "unchanged")
        await record_change(session, reason="ingest", detail=detail)
    await session.commit()
    return counts


async def list_knowledge_items(session: AsyncSession) -> list[KnowledgeItem]:
    return list((await session.exec(select(KnowledgeItem).order_by(KnowledgeItem.id))).all())


async def learned_phrasings(session: AsyncSession) -> dict[str, set[str]]:
    """The approved phrasings (their ``phrasing_key``) by entry id: the customer words the
    record holds beside its source questions."""
    stmt = select(KnowledgeCandidate).where(
        KnowledgeCandidate.status == CandidateStatus.APPROVED,
        col(KnowledgeCandidate.new_entry_answer).is_(None),
    )
    learned: dict[str, set[str]] = {}
    for candidate in (await session.exec(stmt)).all():
        learned.setdefault(candidate.entry_id, set()).add(phrasing_key(candidate.text))
    return learned


async def record_entries(
    session: AsyncSession, items: Sequence[KnowledgeItem] | None = None
) -> Record:
    """The record (``items``, or the rows stored now) split into entries and learned
    phrasings, as ``Retriever.ingest`` takes them."""
    rows = list(items) if items is not None else await list_knowledge_items(session)
    learned_keys = await learned_phrasings(session)
    entries, learned = [], {}
    for item in rows:
        keys = learned_keys.get(item.id, set())
        source = [q for q in item.questions if phrasing_key(q) not in keys] or item.questions
        entries.append(
            FaqEntry(
                id=item.id,
                questions=tuple(source),
                answer=item.answer,
                language=item.language,
                tags=tuple(item.tags),
                translations=tuple(item.translations.items()),
                source=item.source,
            )
        )
        if extra := [q for q in item.questions if q not in source]:
            learned[item.id] = extra
    return Record(entries, learned)


async def restore_index(session: AsyncSession, *, retriever: Retriever) -> int:
    """Rebuild an empty index (its folder was lost) from the record; the number of entries
    indexed (0: the index was not empty, or the record is empty too)."""
    if retriever.entries():
        return 0
    record = await record_entries(session)
    if not record.entries:
        return 0
    log.warning(
        "the knowledge index is empty but the record holds %d entries: rebuilding the index",
        len(record.entries),
    )
    await retriever.ingest(record.entries, learned=record.learned)
    return len(record.entries)
