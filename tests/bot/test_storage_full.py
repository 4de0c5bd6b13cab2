"""The webhook worker on a full disk (the database on a small tmpfs the test fills): a queued
update cannot be claimed or answered, so the customer is told politely, once and in their
language, the log has one line per try and no traceback, the worker keeps running and backs
off; once space is freed the update is answered, once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest
from fakes import LoopbackBotApi, Updates
from harness import Harness
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import run_webhook_worker
from core import i18n
from core.models import InboundUpdate, UpdateStatus
from core.platform import updates
from core.ports import Retriever
from runtime import open_runtime
from tests.small_disk import integrity, small_disk

pytestmark = pytest.mark.slow


async def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def _done(sessions: async_sessionmaker[AsyncSession], update_id: int) -> bool:
    stmt = select(InboundUpdate.status).where(InboundUpdate.update_id == update_id)
    for _ in range(100):
        async with sessions() as s:
            if (await s.exec(stmt)).one() == UpdateStatus.DONE:
                return True
        await asyncio.sleep(0.1)
    return False


async def test_a_full_disk_is_told_politely_once_and_the_update_waits(
    harness: Harness, knowledge_base: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    api = LoopbackBotApi()
    await api.start()
    stop = asyncio.Event()
    user = Updates.user(4242, first_name="Olena", language="uk")
    other = Updates.user(4343, first_name="Ion", language="ro")
    with small_disk(16) as disk:
        settings = harness.settings.model_copy(
            update={
                "telegram_api_url": api.url,
                "data_dir": disk.path,
                "database_url": f"sqlite+aiosqlite:///{disk.path / 'cxc.db'}",
            }
        )
        async with open_runtime(settings, retriever=knowledge_base) as rt:
            update = harness.updates.message(user, "Скільки триває доставка?")
            async with rt.sessions() as s:  # the webhook stored it before the disk filled up
                await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
            disk.fill()
            worker = asyncio.create_task(run_webhook_worker(rt, poll_interval_s=0.05, stop=stop))
            try:
                with caplog.at_level(logging.INFO):
                    assert await _wait_for(lambda: bool(api.sent), 20)
                    await asyncio.sleep(3)  # tried again meanwhile, told nobody again
                    assert not worker.done(), "the worker stopped"
                assert [(m["chat_id"], m["text"]) for m in api.sent] == [
                    ("4242", i18n.text("uk", "bot.storage_full"))
                ]
                assert not [r.getMessage() for r in caplog.records if r.exc_info]
                assert caplog.text.count(f"no space left in {disk.path}") >= 2

                disk.free()
                assert await _wait_for(lambda: len(api.sent) == 2 or worker.done(), 40)
                assert api.sent[1]["text"].startswith("Замовлення до 14:00")
                assert await _done(rt.sessions, update["update_id"])
                second = harness.updates.message(other, "Cât durează livrarea?")
                async with rt.sessions() as s:
                    await updates.enqueue_update(s, update_id=second["update_id"], payload=second)
                assert await _wait_for(lambda: len(api.sent) == 3 or worker.done(), 20)
                assert api.sent[2]["chat_id"] == "4343"  # nothing of Olena's goes to Ion
                assert all(m["chat_id"] == "4242" for m in api.sent[:2])
            finally:
                stop.set()
                await asyncio.wait_for(worker, 20)
                await api.stop()
        assert integrity(disk.path / "cxc.db") == "ok"
