from __future__ import annotations

from typing import Any

import pytest
from factories import make_case
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry
from core.errors import InvalidTransition, NotFound
from core.learning.history import list_versions, rollback_knowledge
from core.learning.items import (
    list_knowledge_items,
    record_entries,
    replaced_ids,
    sync_knowledge_items,
)
from core.models import CandidateStatus, KnowledgeCandidate, KnowledgeItem, KnowledgeVersion


async def test_sync_adds_by_default_and_prunes_only_when_replacing(
    any_session: AsyncSession,
) -> None:
    a = FaqEntry("delivery", ("How long is delivery?",), "2-3 days", "en")
    b = FaqEntry("returns", ("Can I return it?",), "Within 14 days", "en")
    assert await sync_knowledge_items(any_session, entries=[a, b]) == {
        "added": 2,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
    }
    changed = FaqEntry("delivery", ("How long is delivery?",), "1-2 days", "en")
    assert await sync_knowledge_items(any_session, entries=[changed]) == {
        "added": 0,
        "updated": 1,
        "unchanged": 0,
        "deleted": 0,
    }
    items = await list_knowledge_items(any_session)
    assert [(i.id, i.answer) for i in items] == [("delivery", "1-2 days"), ("returns", b.answer)]
    assert await replaced_ids(any_session, entries=[changed]) == ["returns"]
    assert await sync_knowledge_items(any_session, entries=[changed], replace=True) == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
        "deleted": 1,
    }
    items = await list_knowledge_items(any_session)
    assert [(i.id, i.answer) for i in items] == [("delivery", "1-2 days")]
    assert await sync_knowledge_items(any_session, entries=[changed]) == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
        "deleted": 0,
    }


async def test_the_record_keeps_learned_phrasings_through_updates_and_apart_for_the_index(
    any_session: AsyncSession,
) -> None:
    entry = FaqEntry("returns", ("Can I return it?",), "Within 14 days", "en")
    await sync_knowledge_items(any_session, entries=[entry])
    case = await make_case(any_session)
    assert case.id is not None
    learned = "the parcel came torn, I want to send it back"
    any_session.add(
        KnowledgeCandidate(
            case_id=case.id,
            entry_id="returns",
            text=learned,
            proposed_by="olga",
            status=CandidateStatus.APPROVED,
        )
    )
    item = await any_session.get(KnowledgeItem, "returns")
    assert item is not None
    item.questions = [*item.questions, learned]  # as an approval records it
    any_session.add(item)
    await any_session.commit()

    changed = FaqEntry("returns", ("Can I return it?",), "Within 30 days", "en")
    await sync_knowledge_items(any_session, entries=[changed])
    [stored] = await list_knowledge_items(any_session)
    assert stored.questions == ["Can I return it?", learned] and stored.answer == "Within 30 days"
    record = await record_entries(any_session)
    assert [e.questions for e in record.entries] == [("Can I return it?",)]
    assert record.learned == {"returns": [learned]}


async def test_rollback_refuses_what_it_cannot_restore(any_session: AsyncSession) -> None:
    retriever: Any = None  # every refusal comes before the index is touched
    with pytest.raises(InvalidTransition, match="no earlier"):
        await rollback_knowledge(any_session, retriever=retriever)
    any_session.add(KnowledgeVersion(reason="ingest"))  # written before snapshots were kept
    await any_session.commit()
    await sync_knowledge_items(any_session, entries=[FaqEntry("a", ("q?",), "x")])
    assert [v.entries for v in await list_versions(any_session)] == [1, None]
    with pytest.raises(InvalidTransition, match="no snapshot"):
        await rollback_knowledge(any_session, retriever=retriever)
    with pytest.raises(InvalidTransition, match="current"):
        await rollback_knowledge(any_session, retriever=retriever, to=2)
    with pytest.raises(NotFound):
        await rollback_knowledge(any_session, retriever=retriever, to=99)
