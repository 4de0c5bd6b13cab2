"""The webhook worker's own loop renews the bot's heartbeat; while a turn of it hangs (Telegram
takes a reply and does not answer) the beat goes stale, and it beats again once the turn ends."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any

from fakes import LoopbackBotApi, Updates

from bot.app import run_webhook_worker
from core.config import Settings
from core.platform import updates
from core.platform.beats import ProcessKind, check_process
from core.ports import Retriever
from core.runtime import Runtime
from runtime import open_runtime


class SilentBotApi(LoopbackBotApi):
    """A Bot API that takes sendMessage and does not answer until released."""

    def __init__(self) -> None:
        super().__init__()
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()

    async def _handle(self, request: Any) -> Any:
        if request.match_info["method"] == "sendMessage":
            self.stalled.set()
            await self.release.wait()
        return await super()._handle(request)


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _alive(rt: Runtime, max_age_s: float) -> Callable[[], Awaitable[bool]]:
    async def alive() -> bool:
        async with rt.sessions() as session:
            check = await check_process(
                session, kind=ProcessKind.BOT, host=socket.gethostname(), max_age_s=max_age_s
            )
        return check.alive

    return alive


async def test_the_webhook_worker_beats_and_a_stuck_turn_goes_stale(
    bot_settings: Settings, knowledge_base: Retriever
) -> None:
    api = SilentBotApi()
    await api.start()
    settings = bot_settings.model_copy(update={"telegram_api_url": api.url, "heartbeat_s": 0.05})
    stop = asyncio.Event()
    async with open_runtime(settings, retriever=knowledge_base) as rt:
        worker = asyncio.create_task(run_webhook_worker(rt, poll_interval_s=0.02, stop=stop))
        try:
            await _until(_alive(rt, max_age_s=0.3))
            update = Updates().message(Updates.user(), "Can I pay by card?")
            async with rt.sessions() as session:
                await updates.enqueue_update(session, update_id=update["update_id"], payload=update)
            await asyncio.wait_for(api.stalled.wait(), 30)
            await asyncio.sleep(0.5)
            assert not worker.done()
            assert not await _alive(rt, max_age_s=0.3)()  # running, but stuck: stale
            api.release.set()
            await _until(_alive(rt, max_age_s=0.3))  # the turn ended: beating again
            assert api.sent[0]["text"].startswith("We accept Visa, Mastercard and Mir")
        finally:
            api.release.set()
            stop.set()
            await asyncio.wait_for(worker, 20)
            await api.stop()
