"""A minute's Telegram outage on the sending path: the loopback Bot API of the contact-centre day
answers 502 for 30 s, then 429 with ``parameters.retry_after`` for 30 s, while two senders (as the
bot and the worker run them) drain the delivery log and new replies keep coming, sent at once as
the bot sends them or queued as an operator's are. Nothing gives up in that minute, a chat is
tried again at least every ``CXC_DELIVERY_BACKOFF_MAX_S`` (the cap on the backoff), never before
a 429's ``retry_after`` is over, and once Telegram is back every message arrives, once, in the
order it was queued in its chat."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from benchmarks.contact_centre.botapi import BotApiRecord, DayBotApi
from benchmarks.contact_centre.checks import early_retries
from bot.app import create_bot, deliver_queued_forever
from bot.outbound import TelegramOutbound
from core import db
from core.config import Settings
from core.models import DeliveryStatus, OutboundDelivery
from core.platform import deliveries

pytestmark = pytest.mark.slow
CHATS = (9001, 9002, 9003, 9004)
PHASE_S = 30.0
CAP_S = 8.0


async def test_a_minute_of_502_then_429_delivers_everything_once_in_order(
    bot_settings: Settings, engine: AsyncEngine
) -> None:
    api = DayBotApi()
    await api.start()
    api.retry_after_s = 5
    settings = bot_settings.model_copy(
        update={"telegram_api_url": api.url, "delivery_backoff_max_s": CAP_S}
    )
    sessions = db.session_factory(engine)
    senders = [
        TelegramOutbound(create_bot(settings), settings=settings, session_factory=sessions,
                         owner=f"sender-{i}")
        for i in range(2)
    ]  # fmt: skip
    stop = asyncio.Event()
    loops = [asyncio.create_task(deliver_queued_forever(s, stop, interval_s=0.2)) for s in senders]
    expected: dict[int, list[str]] = defaultdict(list)

    async def write(n: int, *, queued: bool) -> None:
        for chat in CHATS:
            text = f"message {n} to chat {chat}"
            expected[chat].append(text)
            if queued:  # an operator's reply: whichever sender is free takes it
                async with sessions() as s:
                    await deliveries.record(s, channel="telegram", external_id=str(chat), text=text)
            else:  # the bot's reply: sent at once, or queued behind the chat's earlier ones
                await senders[0].send(str(chat), text)

    try:
        await write(0, queued=False)
        began, ended = await _a_minute_down(api, write)
        total = sum(len(v) for v in expected.values())
        for _ in range(int((CAP_S + 20) / 0.2)):
            if api.total_sent() >= total:
                break
            await asyncio.sleep(0.2)
        caught_up_s = time.monotonic() - ended
    finally:
        stop.set()
        await asyncio.gather(*loops)
        for sender in senders:
            await sender.bot.session.close()
        await api.stop()

    record = api.record
    got = {c: [s.text for s in record.sent[c]] for c in CHATS}
    assert got == expected, f"caught up {caught_up_s:.1f}s after the outage"  # in order, once
    assert record.refused > 0 and all(record.throttled.get(c) for c in CHATS), record.throttled
    async with sessions() as s:
        rows = (await s.exec(select(OutboundDelivery))).all()
    assert {r.status for r in rows} == {DeliveryStatus.SENT} and len(rows) == total
    assert not early_retries(record), early_retries(record)
    assert not _long_gaps(record, began, ended), _long_gaps(record, began, ended)


async def _a_minute_down(
    api: DayBotApi, write: Callable[..., Awaitable[None]]
) -> tuple[float, float]:
    """502 for PHASE_S, then 429 for PHASE_S, with messages written all along; when it began
    and ended."""
    began = time.monotonic()
    api.outage = 502
    await write(1, queued=True)
    await write(2, queued=False)
    await asyncio.sleep(PHASE_S / 2)
    await write(3, queued=True)
    await asyncio.sleep(began + PHASE_S - time.monotonic())
    api.outage = 429
    await write(4, queued=False)
    await asyncio.sleep(PHASE_S / 2)
    await write(5, queued=True)
    await asyncio.sleep(began + 2 * PHASE_S - time.monotonic())
    api.outage = None
    return began, time.monotonic()


def _long_gaps(record: BotApiRecord, began: float, ended: float) -> list[str]:
    """Chats not tried for longer than the backoff's cap (and a poll) during the outage."""
    problems = []
    for chat in CHATS:
        tries = [t for t in record.tries[chat] if began <= t <= ended]
        gaps = [b - a for a, b in zip(tries, tries[1:], strict=False)]
        if not tries or max(gaps, default=0.0) > CAP_S + 5.0:  # + a poll, on a busy machine
            problems.append(f"chat {chat}: tries {[round(t - began, 1) for t in tries]}")
    return problems
