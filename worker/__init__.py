"""``cxc worker``: the background process. It decides and sends CSAT/CES pulses and NPS rounds,
expires stale pulses, flags overdue promises (``core.worker``) and sends the operator replies
the API queued: through Telegram when a bot token is set, by e-mail when an SMTP server is
(``CXC_SMTP_HOST``); pulses for web chat visitors wait for their page to fetch them
(``CXC_WEBCHAT_SECRET``). It syncs the CRM every ``CXC_CRM_SYNC_INTERVAL_S`` seconds when
``CXC_CRM_ADAPTER`` is set. It needs no knowledge base.

May import: ``core``, ``runtime``, ``crm_adapters`` and the channel senders (``bot.outbound``,
``mailer``); it is a composition root like ``cli``, so nothing imports it but the command line
and tests.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import connected_bot, deliver_queued_forever, require_token, stop_on_signals
from bot.outbound import TelegramOutbound
from core import worker
from core.config import Settings
from core.customers.crm_sync import sync_periodically
from core.errors import ConfigError
from core.platform.beats import Heart, ProcessKind
from core.platform.pickup import WEB, PickupOutbound
from core.ports import OutboundChannel, QueuedChannel
from core.runtime import Runtime
from crm_adapters.connect import open_connector
from mailer import EmailOutbound
from runtime import open_runtime

log = logging.getLogger(__name__)


async def run_worker(
    settings: Settings, *, stop: asyncio.Event | None = None, serving: bool = False
) -> None:
    """Run until ``stop`` is set (default: on SIGINT/SIGTERM); ``serving`` as the
    process's entry point (``runtime.heap``).

    Raises ConfigError when no channel is configured, or for a malformed or rejected Telegram
    token (the CLI exits 2).
    """
    if settings.telegram_token is None and not settings.smtp_host and not settings.webchat_secret:
        raise ConfigError(
            "CXC_TELEGRAM_TOKEN is not set, nor CXC_SMTP_HOST, nor CXC_WEBCHAT_SECRET: the "
            "worker has no channel to send on (set any of them)"
        )
    async with (
        open_runtime(settings, knowledge=False, serving=serving) as rt,
        _channels(rt) as channels,
    ):
        stop = stop or stop_on_signals()
        senders = [asyncio.create_task(deliver_queued_forever(c, stop)) for c in channels.values()]
        if settings.crm_adapter and settings.crm_sync_interval_s > 0:
            senders.append(asyncio.create_task(crm_sync(rt.sessions, settings, stop)))
        outbound: dict[str, OutboundChannel] = dict(channels)
        if settings.webchat_secret is not None:  # the visitor's page fetches what is sent
            outbound[WEB] = PickupOutbound(rt.sessions)
        log.info("worker: every %.0fs, sending on %s", settings.worker_interval_s, list(outbound))
        try:
            heart = Heart(rt.sessions, ProcessKind.WORKER, settings.heartbeat_s)
            await worker.run_worker(
                rt.sessions, settings=settings, outbound=outbound, stop=stop, heart=heart
            )
        finally:
            stop.set()
            await asyncio.gather(*senders)


@asynccontextmanager
async def _channels(rt: Runtime) -> AsyncIterator[dict[str, QueuedChannel]]:
    """The senders this process has: Telegram (token set) and e-mail (SMTP host set)."""
    settings, channels = rt.settings, dict[str, QueuedChannel]()
    async with AsyncExitStack() as stack:
        if settings.telegram_token is not None:
            require_token(settings)
            bot = await stack.enter_async_context(connected_bot(settings))
            channels["telegram"] = TelegramOutbound(
                bot, settings=settings, session_factory=rt.sessions
            )
        if settings.smtp_host:
            channels["email"] = EmailOutbound(settings=settings, session_factory=rt.sessions)
        yield channels


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
