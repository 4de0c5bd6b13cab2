"""Bot test fixtures: the real KnowledgeBase on a small fixture FAQ (built once per session),
a migrated SQLite database per test, and the real Dispatcher talking to FakeBotApi."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from factories import ingest_fixture_kb, kb_settings
from fakes import FakeBotApi
from harness import TOKEN, Harness, MakeHarness
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.dispatcher import create_dispatcher
from bot.outbound import TelegramOutbound
from bot.texts import render_reply
from core import db
from core.config import Settings
from core.conversation.turn import Conversation
from core.ports import Assistant, RateLimiter, Retriever


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir holding the fixture FAQ, ingested once for the whole session."""
    return ingest_fixture_kb(tmp_path_factory.mktemp("kb"))


@pytest.fixture(scope="session")
def knowledge_base(kb_dir: Path) -> Iterator[Retriever]:
    from knowledge.retriever import build_knowledge

    with build_knowledge(kb_settings(kb_dir)) as kb:
        yield kb


@pytest.fixture(scope="session")
def clarifying_kb(kb_dir: Path) -> Iterator[Retriever]:
    """The same KB configured to ask back unless it is sure (answer 0.95, clarify margin 0.9)."""
    from knowledge.retriever import build_knowledge

    with build_knowledge(
        kb_settings(kb_dir, answer_threshold=0.95, clarify_threshold=0.01, clarify_margin=0.9)
    ) as kb:
        yield kb


@pytest.fixture
def bot_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,  # type: ignore[call-arg]
        telegram_token=TOKEN,
        _env_file=None,
    )


@pytest.fixture
async def make_harness(bot_settings: Settings, engine: AsyncEngine) -> AsyncIterator[MakeHarness]:
    bots: list[Bot] = []
    dispatchers: list[Dispatcher] = []

    async def make(
        retriever: Retriever,
        settings: Settings | None = None,
        database: AsyncEngine | None = None,
        assistant: Assistant | None = None,
        chat_limiter: RateLimiter | None = None,
    ) -> Harness:
        api = FakeBotApi()
        bot = Bot(token=TOKEN, session=api)
        bots.append(bot)
        settings = settings or bot_settings
        sessions = db.session_factory(database or engine)
        sleeps: list[float] = []

        async def sleep(seconds: float) -> None:
            sleeps.append(seconds)

        outbound = TelegramOutbound(bot, settings=settings, session_factory=sessions, sleep=sleep)
        conversation = Conversation(
            retriever=retriever, settings=settings, render=render_reply, assistant=assistant
        )
        dp = create_dispatcher(
            settings,
            conversation=conversation,
            session_factory=sessions,
            outbound=outbound,
            chat_limiter=chat_limiter,
        )
        dispatchers.append(dp)
        return Harness(
            dp=dp,
            bot=bot,
            api=api,
            sessions=sessions,
            outbound=outbound,
            settings=settings,
            sleeps=sleeps,
        )

    yield make
    for bot in bots:
        await bot.session.close()
    for dp in dispatchers:
        await dp.storage.close()


@pytest.fixture
async def harness(make_harness: MakeHarness, knowledge_base: Retriever) -> Harness:
    return await make_harness(knowledge_base)
