"""``cxc worker``: the background process. It decides and sends CSAT/CES pulses and NPS rounds,
expires stale pulses, flags overdue promises (``core.worker``), sends the operator replies
the API queued, through Telegram, and syncs the CRM every ``CXC_CRM_SYNC_INTERVAL_S`` seconds
when ``CXC_CRM_ADAPTER`` is set. It needs no knowledge base.

May import: ``core``, ``runtime``, ``crm_adapters`` and the channel senders
(``bot.outbound``); it is a composition root like ``cli``, so nothing imports it but the
command line and tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import connected_bot, deliver_queued_forever, require_token, stop_on_signals
from bot.outbound import TelegramOutbound
from core import worker
from core.config import Settings
from core.customers.crm_sync import sync_periodically
from crm_adapters.connect import open_connector
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
        tasks = [asyncio.create_task(deliver_queued_forever(outbound, stop))]
        if settings.crm_adapter and settings.crm_sync_interval_s > 0:
            tasks.append(asyncio.create_task(crm_sync(rt.sessions, settings, stop)))
        log.info("worker: every %.0fs", settings.worker_interval_s)
        try:
            await worker.run_worker(
                rt.sessions, settings=settings, outbound={outbound.channel: outbound}, stop=stop
            )
        finally:
            stop.set()
            await asyncio.gather(*tasks)


async def crm_sync(
    sessions: Callable[[], AsyncSession], settings: Settings, stop: asyncio.Event
) -> None:
    """Sync ``CXC_CRM_ADAPTER`` every ``CXC_CRM_SYNC_INTERVAL_S`` seconds until ``stop``."""
    adapter = settings.crm_adapter
    assert adapter is not None
    log.info("worker: CRM sync of %s every %.0fs", adapter, settings.crm_sync_interval_s)
    await sync_periodically(
        sessions,
        connect=lambda: open_connector(settings, adapter),
        region=settings.default_region,
        interval_s=settings.crm_sync_interval_s,
        stop=stop,
    )
