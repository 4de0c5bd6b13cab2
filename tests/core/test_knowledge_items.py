from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry
from core.learning.items import list_knowledge_items, replaced_ids, sync_knowledge_items


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
