"""The knowledge version: every change of the knowledge base adds one, and a process that
answers reloads its knowledge base when the version moves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import FaqEntry
from core.learning.items import sync_knowledge_items
from core.learning.version import current_version, follow_knowledge, record_change

A = FaqEntry(
    "delivery", ("How long is delivery?",), "2-3 days", "en", translations=(("ru", "2-3 дня"),)
)


class RecordingRetriever:
    """Only what the follower calls: ``reload``."""

    def __init__(self) -> None:
        self.reloads = 0

    async def reload(self) -> None:
        self.reloads += 1


async def test_a_change_adds_a_version_and_nothing_else_does(any_session: AsyncSession) -> None:
    assert await current_version(any_session) == 0
    await sync_knowledge_items(any_session, entries=[A])
    assert await current_version(any_session) == 1
    await sync_knowledge_items(any_session, entries=[A])  # unchanged: same version
    assert await current_version(any_session) == 1
    await record_change(any_session, reason="phrasing", detail="delivery")
    await any_session.commit()
    assert await current_version(any_session) == 2


async def test_the_record_keeps_translations(any_session: AsyncSession) -> None:
    from core.learning.items import list_knowledge_items

    await sync_knowledge_items(any_session, entries=[A])
    (item,) = await list_knowledge_items(any_session)
    assert item.translations == {"ru": "2-3 дня"}


async def _wait_for(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_the_follower_reloads_once_per_move(any_engine, any_session: AsyncSession) -> None:  # type: ignore[no-untyped-def]
    from core import db

    sessions = db.session_factory(any_engine)
    retriever = RecordingRetriever()
    stop = asyncio.Event()
    loaded = await current_version(any_session)
    task = asyncio.create_task(
        follow_knowledge(
            sessions,
            retriever=retriever,
            loaded=loaded,
            interval_s=0.02,
            stop=stop,  # type: ignore[arg-type]
        )
    )
    try:
        await asyncio.sleep(0.1)
        assert retriever.reloads == 0  # nothing moved
        await sync_knowledge_items(any_session, entries=[A])
        await _wait_for(lambda: retriever.reloads == 1)
        await asyncio.sleep(0.1)
        assert retriever.reloads == 1  # one move, one reload
    finally:
        stop.set()
        await task
