"""CXC_REDIS_URL: the duplicate-update guard and the per-chat lock live in a real Redis, shared
by every bot process (CI starts redis-server; set CXC_TEST_REDIS_URL to run these locally)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from harness import MakeHarness
from redis.asyncio import Redis

from core import db
from core.config import Settings
from core.ports import Retriever

REDIS_URL = os.environ.get("CXC_TEST_REDIS_URL")


@pytest.fixture
async def redis_settings(bot_settings: Settings) -> AsyncIterator[Settings]:
    if not REDIS_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must provide Redis: CXC_TEST_REDIS_URL is not set")
        pytest.skip("CXC_TEST_REDIS_URL not set")
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    yield bot_settings.model_copy(update={"redis_url": REDIS_URL})


async def test_redis_backs_storage_and_the_duplicate_guard(
    redis_settings: Settings,
    make_harness: MakeHarness,
    knowledge_base: Retriever,
    sqlite_template: Path,
    tmp_path: Path,
) -> None:
    first = await make_harness(knowledge_base, redis_settings)
    assert isinstance(first.dp.storage, RedisStorage)
    assert isinstance(first.dp.fsm.events_isolation, RedisEventIsolation)

    update = first.updates.message(first.user, "How long does delivery take?")
    await first.feed(update)
    assert len(first.api.sent) == 1

    # A second bot process with its own database: only Redis knows this update was handled.
    shutil.copy(sqlite_template, tmp_path / "other.db")
    other_db = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    try:
        second = await make_harness(knowledge_base, redis_settings, other_db)
        await second.feed(update)
        assert second.api.sent == []
        fresh = first.updates.message(first.user, "How long does delivery take?")  # a new id
        await second.feed(fresh)
        assert len(second.api.sent) == 1
    finally:
        await other_db.dispose()

    client = Redis.from_url(REDIS_URL or "")
    try:
        ttl = await client.ttl(f"cxc:tg-update:{update['update_id']}")
    finally:
        await client.aclose()
    assert 0 < ttl <= 86_400
