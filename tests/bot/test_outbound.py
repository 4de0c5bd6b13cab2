"""The send queue: Telegram's limits, 429 retry_after, network backoff, the delivery log."""

from __future__ import annotations

import pytest
from harness import Harness
from sqlmodel import select

from core.models import DeliveryStatus, OutboundDelivery
from core.platform import updates
from core.ports import OutboundChannel


async def _log(harness: Harness) -> list[OutboundDelivery]:
    async with harness.sessions() as s:
        return list((await s.exec(select(OutboundDelivery).order_by(OutboundDelivery.id))).all())  # type: ignore[arg-type]


async def test_429_waits_retry_after_then_succeeds(harness: Harness) -> None:
    assert isinstance(harness.outbound, OutboundChannel)
    harness.api.fail_next(
        "sendMessage", status=429, retry_after=3, description="Too Many Requests: retry after 3"
    )
    delivery = await harness.outbound.send(
        "111", "Your refund was sent", buttons=[("Details", "https://example.com/r/1")]
    )
    assert delivery.ok and delivery.external_id is not None
    assert 3.0 in harness.sleeps
    assert [c.params["_ok"] for c in harness.api.calls] == [False, True]
    assert harness.api.buttons() == [("Details", "https://example.com/r/1")]
    [row] = await _log(harness)
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 2, None)


async def test_bot_reply_survives_a_429(harness: Harness) -> None:
    harness.api.fail_next(
        "sendMessage", status=429, retry_after=1, description="Too Many Requests: retry after 1"
    )
    await harness.say("How long does delivery take?")
    [sent] = harness.api.sent
    assert sent["text"].startswith("Orders placed before 14:00")
    [row] = await _log(harness)
    assert row.message_id is not None and row.attempts == 2


async def test_network_errors_back_off_exponentially(harness: Harness) -> None:
    for _ in range(2):
        harness.api.fail_next("sendMessage", status=None, description="connection reset")
    delivery = await harness.outbound.send("111", "hello")
    assert delivery.ok
    assert [s for s in harness.sleeps if s >= 0.5] == [0.5, 1.0]


async def test_permanent_failure_is_recorded_not_retried(harness: Harness) -> None:
    harness.api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    delivery = await harness.outbound.send("111", "Your case is resolved")
    assert not delivery.ok and "blocked by the user" in (delivery.error or "")
    assert len(harness.api.calls) == 1
    async with harness.sessions() as s:
        [failed] = await updates.failed_deliveries(s)
    assert (failed.text, failed.attempts, failed.status) == (
        "Your case is resolved",
        1,
        DeliveryStatus.FAILED,
    )


async def test_gives_up_after_the_configured_retries(harness: Harness) -> None:
    retries = harness.settings.telegram_send_retries
    for _ in range(retries + 1):
        harness.api.fail_next("sendMessage", status=502, description="Bad Gateway")
    delivery = await harness.outbound.send("111", "hello")
    assert not delivery.ok and delivery.error is not None
    assert delivery.error.startswith(f"gave up after {retries + 1} attempts")
    [row] = await _log(harness)
    assert row.status == DeliveryStatus.FAILED


async def test_per_chat_spacing_and_global_rate(harness: Harness) -> None:
    await harness.outbound.send("111", "one")
    await harness.outbound.send("111", "two")
    await harness.outbound.send("222", "three")
    per_chat = harness.settings.telegram_per_chat_interval_s
    assert any(per_chat - 0.2 < s <= per_chat for s in harness.sleeps)  # second to chat 111
    assert all(s <= per_chat for s in harness.sleeps)
    assert [m["text"] for m in harness.api.sent] == ["one", "two", "three"]


async def test_long_text_is_split_at_telegrams_limit(harness: Harness) -> None:
    text = ("line of an answer\n" * 400).strip()
    await harness.outbound.send("111", text, buttons=[("Helped", "helped:1")])
    parts = harness.api.sent
    assert len(parts) == 2 and all(len(p["text"]) <= 4096 for p in parts)
    assert "reply_markup" not in parts[0] and parts[1]["reply_markup"]
    assert "\n".join(p["text"] for p in parts) == text


@pytest.mark.parametrize("chat", ["-1001234567890", "@channel_name"])
async def test_chat_ids(harness: Harness, chat: str) -> None:
    assert (await harness.outbound.send(chat, "hi")).ok
