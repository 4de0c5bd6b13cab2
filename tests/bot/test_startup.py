"""Start-up: token checks, and the webhook worker draining the persisted update queue."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from harness import TOKEN, Harness
from pydantic import SecretStr
from sqlmodel import select

from bot.app import check_token, create_bot, process_pending_updates, require_token
from core.config import Settings
from core.errors import ConfigError
from core.models import InboundUpdate, UpdateStatus
from core.models.base import utcnow
from core.platform import updates


def test_missing_token_is_a_config_error(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"telegram_token": None})
    with pytest.raises(ConfigError, match="CXC_TELEGRAM_TOKEN is not set"):
        create_bot(settings)


def test_malformed_token_is_a_config_error(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"telegram_token": SecretStr("not a token")})
    with pytest.raises(ConfigError, match="not a Telegram bot token"):
        require_token(settings)


async def test_token_rejected_by_telegram_is_a_config_error(harness: Harness) -> None:
    harness.api.fail_next("getMe", status=401, description="Unauthorized")
    with pytest.raises(ConfigError, match=r"rejected by Telegram \(401 Unauthorized\)"):
        await check_token(harness.bot)
    await check_token(harness.bot)  # the good token passes


async def test_a_telegram_outage_at_start_is_waited_out(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process restarted during an outage (502, then a refused connection) waits for
    Telegram instead of crashing (the worker died with a traceback on a 502 from getMe)."""
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("bot.app.asyncio.sleep", no_sleep)
    harness.api.fail_next("getMe", status=502, description="Bad Gateway")
    harness.api.fail_next("getMe", status=None, description="refused")
    await check_token(harness.bot)
    assert waits == [1.0, 2.0]
    assert [c.method for c in harness.api.calls][-3:] == ["getMe", "getMe", "getMe"]


def test_api_url_selects_a_self_hosted_server(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"telegram_api_url": "http://127.0.0.1:8081"})
    bot = create_bot(settings)
    assert bot.session.api.api_url(TOKEN, "getMe") == f"http://127.0.0.1:8081/bot{TOKEN}/getMe"


async def test_webhook_queue_is_drained_once(harness: Harness) -> None:
    update = harness.updates.message(harness.user, "How long does delivery take?")
    async with harness.sessions() as s:
        assert await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
        assert not await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
    assert await process_pending_updates(harness.dp, harness.bot, harness.sessions) == 1
    assert await process_pending_updates(harness.dp, harness.bot, harness.sessions) == 0
    await harness.feed(update)  # the same update arriving by another path
    assert len(harness.api.sent) == 1
    async with harness.sessions() as s:
        [row] = (await s.exec(select(InboundUpdate))).all()
    assert (row.status, row.attempts) == (UpdateStatus.DONE, 1)


async def test_a_failing_update_is_marked_failed(harness: Harness) -> None:
    update = harness.updates.callback(harness.user, "pick:not-a-number")
    await harness.feed(update)  # handled: a stale button, not a crash
    assert harness.api.answered[-1]["text"] == "This button is no longer active."
    async with harness.sessions() as s:
        [row] = (await s.exec(select(InboundUpdate))).all()
    assert row.status == UpdateStatus.DONE


async def test_a_poison_update_is_parked_and_the_next_one_is_answered(harness: Harness) -> None:
    poison = {"update_id": 9_000, "message": {"chat": {"id": 111}, "text": 42}}  # malformed
    after = harness.updates.message(harness.user, "How long does delivery take?")
    async with harness.sessions() as s:
        await updates.enqueue_update(s, update_id=9_000, payload=poison)
        await updates.enqueue_update(s, update_id=after["update_id"], payload=after)
    start, passes = utcnow(), []
    for step in range(60):  # ten minutes of a worker polling every 10 s
        now = start + timedelta(seconds=step * 10)
        passes.append(
            await process_pending_updates(harness.dp, harness.bot, harness.sessions, now=now)
        )
    assert sum(passes) == harness.settings.update_max_attempts + 1  # no busy loop
    # the same chat's next update waited for the poison one (order per chat), then was answered
    assert [m["text"][:26] for m in harness.api.sent] == ["Orders placed before 14:00"]
    async with harness.sessions() as s:
        [parked] = await updates.listed(s, status=UpdateStatus.PARKED)
    assert parked.update_id == 9_000 and parked.attempts == harness.settings.update_max_attempts
    assert parked.error is not None and "ValidationError" in parked.error


async def test_malformed_updates_never_block_the_queue(harness: Harness) -> None:
    async with harness.sessions() as s:
        for i in range(60):
            bad = {"update_id": 20_000 + i, "message": {"chat": {"id": 5000 + i}, "date": "x"}}
            await updates.enqueue_update(s, update_id=20_000 + i, payload=bad)
        good = harness.updates.message(harness.user, "How long does delivery take?")
        await updates.enqueue_update(s, update_id=good["update_id"], payload=good)
    seen = await process_pending_updates(harness.dp, harness.bot, harness.sessions)
    seen += await process_pending_updates(harness.dp, harness.bot, harness.sessions)
    assert seen == 61  # every one tried once, the good one answered
    assert await process_pending_updates(harness.dp, harness.bot, harness.sessions) == 0
    assert harness.api.sent[0]["text"].startswith("Orders placed before 14:00")


async def test_queued_updates_of_different_chats_are_processed_at_once(harness: Harness) -> None:
    """A burst from many chats is not answered one customer after another: each answer waits
    on Telegram, and the others go on meanwhile. Each chat's own updates keep their order."""
    harness.api.latency_s = 0.5
    chats = [harness.updates.user(7_000 + n) for n in range(6)]
    async with harness.sessions() as s:
        for text in ("How long does delivery take?", "Thanks!"):
            for user in chats:
                update = harness.updates.message(user, text)
                await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
    start = time.perf_counter()
    first = await process_pending_updates(harness.dp, harness.bot, harness.sessions)
    took = time.perf_counter() - start
    assert first == 6  # the oldest update of each chat
    assert took < 6 * 0.5 - 0.5, took  # one after another would take 3 s of waiting alone
    assert await process_pending_updates(harness.dp, harness.bot, harness.sessions) == 6
    for user in chats:
        texts = [m["text"] for m in harness.api.sent if str(m["chat_id"]) == str(user["id"])]
        assert texts[0].startswith("Orders placed before 14:00") and len(texts) == 2
