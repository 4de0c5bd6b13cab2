"""The send queue: Telegram's limits, 429 retry_after, backoff through an outage, one chat never
holding up another, failures listed and resent, unknown outcomes never retried."""

from __future__ import annotations

from datetime import timedelta

import pytest
from harness import Harness
from sqlmodel import select

from core.models import DeliveryStatus, OutboundDelivery
from core.models.base import utcnow
from core.platform import deliveries
from core.ports import OutboundChannel


async def _log(harness: Harness) -> list[OutboundDelivery]:
    async with harness.sessions() as s:
        return list((await s.exec(select(OutboundDelivery).order_by(OutboundDelivery.id))).all())  # type: ignore[arg-type]


async def _rows(harness: Harness) -> dict[int, OutboundDelivery]:
    return {row.id or 0: row for row in await _log(harness)}


async def test_429_waits_retry_after_then_succeeds(harness: Harness) -> None:
    assert isinstance(harness.outbound, OutboundChannel)
    harness.api.fail_next(
        "sendMessage", status=429, retry_after=3, description="Too Many Requests: retry after 3"
    )
    delivery = await harness.outbound.send(
        "111", "Your refund was sent", buttons=[("Details", "https://example.com/r/1")]
    )
    assert not delivery.ok and delivery.queued  # not lost: waiting for Telegram's retry_after
    [row] = await _log(harness)
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at is not None
    wait = (row.next_attempt_at - row.created_at).total_seconds()
    assert 3.0 <= wait < 4.0
    assert await harness.outbound.deliver_queued(now=row.created_at + timedelta(seconds=2)) == 0
    assert await harness.outbound.deliver_queued(now=row.next_attempt_at) == 1
    assert [c.params["_ok"] for c in harness.api.calls] == [False, True]
    assert harness.api.buttons() == [("Details", "https://example.com/r/1")]
    [row] = await _log(harness)
    assert (row.status, row.attempts, row.error) == (DeliveryStatus.SENT, 2, None)


async def test_bot_reply_survives_a_429(harness: Harness) -> None:
    harness.api.fail_next(
        "sendMessage", status=429, retry_after=1, description="Too Many Requests: retry after 1"
    )
    await harness.say("How long does delivery take?")
    assert harness.api.sent == []
    await harness.outbound.deliver_queued(now=utcnow() + timedelta(seconds=2))
    [sent] = harness.api.sent
    assert sent["text"].startswith("Orders placed before 14:00")
    [row] = await _log(harness)
    assert row.message_id is not None and row.attempts == 2


async def test_an_outage_of_ten_minutes_loses_nothing_and_sends_nothing_twice(
    harness: Harness,
) -> None:
    start = utcnow()
    harness.api.outage = 502
    for chat in ("111", "222", "333", "444"):
        delivery = await harness.outbound.send(chat, f"hello {chat}")
        assert delivery.queued
    now, waits = start, []
    while now < start + timedelta(minutes=12):
        if now >= start + timedelta(minutes=11):
            harness.api.outage = 0 if harness.api.outage == 502 else None  # refused, then up
        if now >= start + timedelta(minutes=11, seconds=30):
            harness.api.outage = None
        await harness.outbound.deliver_queued(now=now)
        rows = await _log(harness)
        waits.append(min((r.next_attempt_at or now) - now for r in rows).total_seconds())
        now += timedelta(seconds=5)
    rows = await _log(harness)
    assert [r.status for r in rows] == [DeliveryStatus.SENT] * 4
    assert sorted(m["chat_id"] for m in harness.api.sent) == ["111", "222", "333", "444"]
    assert max(r.attempts for r in rows) < 25  # backed off (1, 2, 4 ... 60 s), not hammering
    assert max(waits) <= harness.settings.delivery_backoff_max_s


async def test_after_the_retry_window_it_fails_is_listed_and_can_be_resent(
    harness: Harness,
) -> None:
    start = utcnow()
    harness.api.outage = 502
    await harness.outbound.send("111", "Your case is resolved")
    now = start
    while now < start + timedelta(seconds=harness.settings.delivery_retry_window_s + 120):
        now += timedelta(seconds=60)
        await harness.outbound.deliver_queued(now=now)
    async with harness.sessions() as s:
        [failed] = await deliveries.listed(s, status=DeliveryStatus.FAILED)
    assert failed.error is not None and failed.error.startswith("gave up after")
    harness.api.outage = None
    async with harness.sessions() as s:
        await deliveries.resend(s, delivery_id=failed.id or 0, now=now)
    assert await harness.outbound.deliver_queued(now=now) == 1
    assert [m["text"] for m in harness.api.sent] == ["Your case is resolved"]


async def test_a_chat_in_backoff_does_not_hold_up_other_chats(harness: Harness) -> None:
    now = utcnow()
    harness.api.fail_next("sendMessage", status=502, description="Bad Gateway")
    first = await harness.outbound.send("111", "one")
    second = await harness.outbound.send("111", "two")  # queued behind "one": order per chat
    other = await harness.outbound.send("222", "three")
    assert first.queued and second.queued and other.ok
    assert await harness.outbound.deliver_queued(now=now) == 0  # 111 waits for its backoff
    assert await harness.outbound.deliver_queued(now=now + timedelta(seconds=5)) == 1
    assert await harness.outbound.deliver_queued(now=now + timedelta(seconds=10)) == 1
    assert [m["text"] for m in harness.api.sent] == ["three", "one", "two"]


async def test_permanent_failure_is_recorded_not_retried(harness: Harness) -> None:
    harness.api.fail_next(
        "sendMessage", status=403, description="Forbidden: bot was blocked by the user"
    )
    delivery = await harness.outbound.send("111", "Your case is resolved")
    assert not delivery.ok and "blocked by the user" in (delivery.error or "")
    assert not delivery.queued and len(harness.api.calls) == 1
    async with harness.sessions() as s:
        [failed] = await deliveries.listed(s, status=DeliveryStatus.FAILED)
    assert (failed.text, failed.attempts, failed.status) == (
        "Your case is resolved",
        1,
        DeliveryStatus.FAILED,
    )


async def test_a_timeout_is_an_unknown_outcome_never_retried(harness: Harness) -> None:
    harness.api.fail_next("sendMessage", status=None, description="Request timeout error")
    delivery = await harness.outbound.send("111", "Refund approved")
    assert not delivery.ok and not delivery.queued
    assert await harness.outbound.deliver_queued(now=utcnow() + timedelta(hours=1)) == 0
    [row] = await _log(harness)
    assert row.status == DeliveryStatus.FAILED and (row.error or "").startswith("outcome unknown")


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
