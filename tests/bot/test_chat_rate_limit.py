"""Messages per Telegram chat (CXC_RATE_LIMIT_CHAT): the real Dispatcher fed with Update JSON.
Over the limit the chat is told once, in its language, and the extra messages are neither
answered nor retried; another chat is counted apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import Harness
from sqlmodel import col, select

from core import i18n
from core.models import InboundUpdate, UpdateStatus
from core.ports import Retriever
from runtime.ratelimit import WindowLimiter

MakeHarness = Callable[..., Any]


async def test_a_chat_over_its_limit_is_told_once_and_others_go_on(
    make_harness: MakeHarness, knowledge_base: Retriever
) -> None:
    limiter = WindowLimiter("2/minute", scope="chat")
    bot: Harness = await make_harness(knowledge_base, chat_limiter=limiter)
    fast = bot.updates.user(901, language="uk")
    calm = bot.updates.user(902, language="en")
    sent = [await bot.say("How long does delivery take?", user=fast) for _ in range(5)]
    await bot.say("How long does delivery take?", user=calm)

    to_fast = [m["text"] for m in bot.api.sent if m["chat_id"] == "901"]
    to_calm = [m["text"] for m in bot.api.sent if m["chat_id"] == "902"]
    notice = i18n.text("uk", "bot.slow_down", seconds=60).split("60")[0]
    assert len(to_fast) == 3  # two answers and one notice for three refused messages
    assert [t.startswith(notice) for t in to_fast] == [False, False, True]
    assert to_calm and to_calm[0].startswith("Orders placed before 14:00")
    async with bot.sessions() as s:
        ids = [u["update_id"] for u in sent]
        rows = await s.exec(select(InboundUpdate).where(col(InboundUpdate.update_id).in_(ids)))
        assert {r.status for r in rows.all()} == {UpdateStatus.DONE}  # never retried
