"""Start-up: token checks, and the webhook worker draining the persisted update queue."""

from __future__ import annotations

import pytest
from harness import TOKEN, Harness
from pydantic import SecretStr
from sqlmodel import select

from bot.app import check_token, create_bot, process_pending_updates, require_token
from core.config import Settings
from core.errors import ConfigError
from core.models import InboundUpdate, UpdateStatus
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
