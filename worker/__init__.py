"""``cxc worker``: the background process. It decides and sends CSAT/CES pulses and NPS rounds,
expires stale pulses, flags overdue promises (``core.worker``) and sends the operator replies
the API queued, through Telegram. It needs no knowledge base.

May import: ``core``, ``runtime`` and the channel senders (``bot.outbound``); it is a
composition root like ``cli``, so nothing imports it but the command line and tests.
"""

from __future__ import annotations

import asyncio
import logging

from bot.app import connected_bot, deliver_queued_forever, require_token, stop_on_signals
from bot.outbound import TelegramOutbound
from core import worker
from core.config import Settings
from runtime import open_runtime

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set (default: on SIGINT/SIGTERM).

    Raises ConfigError for a missing, malformed or rejected Telegram token (the CLI exits 2).
    """
    require_token(settings)
    async with open_runtime(settings, knowledge=False) as rt, connected_bot(settings) as bot:
        stop = stop or stop_on_signals()
        outbound = TelegramOutbound(bot, settings=settings, session_factory=rt.sessions)
        sender = asyncio.create_task(deliver_queued_forever(outbound, stop))
        log.info("worker: every %.0fs", settings.worker_interval_s)
        try:
            await worker.run_worker(
                rt.sessions, settings=settings, outbound={outbound.channel: outbound}, stop=stop
            )
        finally:
            stop.set()
            await sender
