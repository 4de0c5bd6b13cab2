"""The bot and the worker while a backend is down. A database outage (a throwaway PostgreSQL
the test stops and starts) is waited out by the webhook worker, which then goes on with the
queue, and by the worker loop. A Chroma server
outage (a real `chroma run`, asked per query) makes the bot tell the customer, in their
language, that it is handing them to a person; once Chroma is back it answers again."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import FIXTURE_FAQ, kb_settings
from fakes import LoopbackBotApi
from harness import Harness

from bot.app import run_webhook_worker
from core import i18n, worker
from core.config import Settings
from core.models import Owner
from core.platform import updates
from core.ports import Retriever
from knowledge.retriever import build_knowledge
from knowledge.sources import load_sources
from runtime import open_runtime
from tests.servers import chroma_server, postgres_server

pytestmark = [pytest.mark.slow, pytest.mark.services]
MakeHarness = Callable[..., "asyncio.Future[Harness]"]


async def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_the_webhook_worker_waits_out_a_database_outage(
    harness: Harness, knowledge_base: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    api = LoopbackBotApi()
    await api.start()
    stop = asyncio.Event()
    with postgres_server() as pg:
        settings = harness.settings.model_copy(
            update={"telegram_api_url": api.url, "database_url": pg.url}
        )
        async with open_runtime(settings, retriever=knowledge_base) as rt:
            worker = asyncio.create_task(run_webhook_worker(rt, poll_interval_s=0.05, stop=stop))
            try:
                await asyncio.sleep(0.5)
                pg.stop()
                with caplog.at_level(logging.WARNING, logger="bot.app"):
                    assert not await _wait_for(worker.done, 3), "the worker stopped"
                assert "database unavailable" in caplog.text
                pg.start()
                update = harness.updates.message(harness.user, "Can I pay by card?")
                async with rt.sessions() as s:
                    await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
                assert await _wait_for(lambda: bool(api.sent) or worker.done(), 40)
                assert api.sent[0]["text"].startswith("We accept Visa, Mastercard and Mir")
            finally:
                stop.set()
                await asyncio.wait_for(worker, 20)
                await api.stop()


QUESTIONS = {
    "en": "How long does delivery take?",
    "ru": "Сколько идёт доставка?",
    "uk": "Скільки триває доставка?",
    "ro": "Cât durează livrarea?",
}


async def test_chroma_down_hands_over_in_the_customers_language_and_recovers(
    make_harness: MakeHarness, tmp_path: Path
) -> None:
    with chroma_server(tmp_path / "chroma") as chroma:
        settings = kb_settings(tmp_path / "kb", chroma_url=chroma.url, dense_search="chroma")
        with build_knowledge(settings) as kb:
            kb.ingest_sync(load_sources([FIXTURE_FAQ]))
            bot = await make_harness(kb)
            chroma.stop()
            for n, (language, question) in enumerate(QUESTIONS.items()):
                user = bot.updates.user(700 + n, language=language)
                await bot.say(question, user=user)
                reply = bot.api.sent[-1]
                assert reply["chat_id"] == str(user["id"])
                assert reply["text"].startswith(i18n.text(language, "bot.kb_unavailable"))
                bot.user = user
                case = await bot.case()
                assert case.owner == Owner.HUMAN and f"#{case.id}" in reply["text"]
            chroma.start()
            user = bot.updates.user(799, language="en")
            await bot.say(QUESTIONS["en"], user=user)
    assert bot.api.sent[-1]["text"].startswith("Orders placed before 14:00 arrive the same day")


async def test_the_worker_loop_waits_out_a_database_outage(
    bot_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    with postgres_server() as pg:
        settings = bot_settings.model_copy(
            update={"database_url": pg.url, "worker_interval_s": 0.1}
        )
        async with open_runtime(settings, knowledge=False) as rt:
            loop = asyncio.create_task(worker.run_worker(rt.sessions, settings=settings, stop=stop))
            try:
                pg.stop()
                with caplog.at_level(logging.WARNING, logger="core.worker"):
                    assert not await _wait_for(loop.done, 2), "the worker stopped"
                    pg.start()
                    await asyncio.sleep(1.5)  # reconnected: the passes run again
                    waits = caplog.text.count("worker pass waits for the database")
                    await asyncio.sleep(1.0)
                    assert caplog.text.count("worker pass waits for the database") == waits
                assert waits >= 1 and not loop.done()
                assert "Traceback" not in caplog.text
            finally:
                stop.set()
                await asyncio.wait_for(loop, 20)
