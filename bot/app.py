"""Start-up of the Telegram side: build the bot, check the token, run long polling or the
webhook-queue worker over a runtime the caller opened (``runtime.open_runtime``), and send the
operator replies the API queued."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update
from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.dispatcher import create_dispatcher
from bot.middlewares import record_failure
from bot.outbound import TelegramOutbound
from bot.texts import render_reply
from core import db
from core.config import Settings
from core.conversation.turn import Conversation
from core.errors import ConfigError, StorageFull
from core.models import InboundUpdate
from core.platform import updates
from core.platform.beats import Heart, ProcessKind
from core.ports import QueuedChannel
from core.runtime import Runtime

log = logging.getLogger(__name__)
MAX_POLL_DELAY_S = 30.0
"""The longest pause between reads of the update queue while the database is down."""


def require_token(settings: Settings) -> str:
    """The bot token, or ConfigError with one clear line (the CLI exits with code 2)."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise ConfigError(
            "CXC_TELEGRAM_TOKEN is not set: create a bot with @BotFather and "
            "put its token in CXC_TELEGRAM_TOKEN"
        )
    token = settings.telegram_token.get_secret_value().strip()
    try:
        validate_token(token)
    except TokenValidationError:
        raise ConfigError(
            "CXC_TELEGRAM_TOKEN is not a Telegram bot token "
            "(expected <bot id>:<secret>, as @BotFather gives it)"
        ) from None
    return token


def create_bot(settings: Settings, *, session: BaseSession | None = None) -> Bot:
    """A Bot for ``settings`` (CXC_TELEGRAM_API_URL selects a self-hosted Bot API server)."""
    token = require_token(settings)
    if session is None:
        api = settings.telegram_api_url
        session = AiohttpSession(api=TelegramAPIServer.from_base(api)) if api else AiohttpSession()
    return Bot(token=token, session=session)


async def check_token(bot: Bot, *, max_delay_s: float = 30.0) -> None:
    """Ask Telegram who the bot is. A rejected token is a ConfigError; an unreachable or
    failing Telegram (an outage, a 5xx, a 429) is waited out with one log line per try, so a
    process restarted during an outage starts once Telegram is back instead of crashing."""
    delay = 1.0
    while True:
        try:
            me = await bot.get_me()
            break
        except TelegramUnauthorizedError:
            raise ConfigError(
                "CXC_TELEGRAM_TOKEN was rejected by Telegram (401 Unauthorized): "
                "check the token with @BotFather"
            ) from None
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            wait = float(getattr(exc, "retry_after", 0) or delay)
            log.warning("telegram unreachable (%s); retrying in %.0fs", exc.message, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, max_delay_s)
    log.info("telegram bot @%s (id %s) ready", me.username, me.id)


async def run_polling(rt: Runtime) -> None:
    """``cxc bot``: long polling (development). Returns on SIGINT/SIGTERM.

    Raises ConfigError for a missing, malformed or rejected token (the CLI exits with code 2).
    """
    async with connected_bot(rt.settings) as bot:
        dp, outbound = _dispatcher(rt, bot)
        stop = asyncio.Event()
        sender = asyncio.create_task(deliver_queued_forever(outbound, stop))
        beating = asyncio.create_task(beat_forever(_heart(rt), stop))  # aiogram owns the loop
        try:
            await dp.start_polling(bot, handle_signals=True, close_bot_session=False)
        finally:
            stop.set()
            await asyncio.gather(sender, beating)


@asynccontextmanager
async def connected_bot(settings: Settings) -> AsyncIterator[Bot]:
    """A Bot whose token Telegram accepted; its HTTP session is closed on the way out."""
    bot = create_bot(settings)
    try:
        await check_token(bot)
        yield bot
    finally:
        await bot.session.close()


async def run_webhook_worker(
    rt: Runtime, *, poll_interval_s: float = 0.5, stop: asyncio.Event | None = None
) -> None:
    """Production: process the updates the API's /telegram/webhook route queued in the DB.

    Returns when ``stop`` is set (default: on SIGINT/SIGTERM). ConfigError as for polling.
    """
    async with connected_bot(rt.settings) as bot:
        stop = stop or stop_on_signals()
        dp, outbound = _dispatcher(rt, bot)
        log.info("webhook worker: processing queued telegram updates")
        sender = asyncio.create_task(deliver_queued_forever(outbound, stop))
        heart = _heart(rt)
        delay = poll_interval_s
        while not stop.is_set():
            await heart.beat()  # by this loop: a turn that hangs stops the beat
            try:
                taken = await process_pending_updates(dp, bot, rt.sessions)
                delay = poll_interval_s
            except Exception as exc:  # the queue is read again after a pause, never abandoned
                taken, delay = 0, min(max(delay * 2, 1.0), MAX_POLL_DELAY_S)
                if isinstance(exc, StorageFull):
                    log.error("%s; reading the queue again in %.0fs", exc, delay)
                elif not db.is_outage(exc):
                    log.exception("reading the update queue failed; retrying in %.0fs", delay)
                else:
                    log.warning("database unavailable (%s); retrying in %.0fs", exc, delay)
            if not taken:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        await sender


async def process_pending_updates(
    dp: Dispatcher,
    bot: Bot,
    sessions: async_sessionmaker[AsyncSession],
    *,
    limit: int = 50,
    now: datetime | None = None,
) -> int:
    """Feed queued updates to the dispatcher in update_id order (per chat); returns how many
    were taken. The queue hands out one update per chat, so up to ``CXC_BOT_CONCURRENCY`` of
    them (different chats) are processed at once: one customer's answer does not wait for
    another's sends and database writes. A failed one waits for its retry (or is parked) and
    the rest go on."""
    settings: Settings = dp["settings"]
    stale_after = timedelta(seconds=settings.claim_lease_s)
    async with sessions() as session:
        rows = await updates.pending_updates(session, limit=limit, now=now, stale_after=stale_after)
    max_attempts = settings.update_max_attempts
    room = asyncio.Semaphore(settings.bot_concurrency)

    async def process(row: InboundUpdate) -> None:
        async with room:
            try:
                update = Update.model_validate(row.payload, context={"bot": bot})
            except ValidationError as exc:  # no handler can read it: a try counted, no loop
                log.warning("queued telegram update %s is malformed", row.update_id)
                await record_failure(
                    sessions, row.update_id, exc, max_attempts=max_attempts, now=now
                )
                return
            try:
                await dp.feed_update(bot, update)
            except StorageFull:  # the rest cannot be recorded either: wait (the caller backs off)
                raise
            except Exception:  # recorded on the update row by the middleware
                log.exception("queued telegram update %s failed", row.update_id)

    # one row per chat, so each chat's order holds; every one ends before a full disk is raised
    done = await asyncio.gather(*(process(row) for row in rows), return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException):
            raise outcome
    return len(rows)


async def deliver_queued_forever(
    outbound: QueuedChannel, stop: asyncio.Event, *, interval_s: float = 1.0
) -> None:
    """Send the channel's queued deliveries (operator replies, retries) until ``stop`` is set."""
    while not stop.is_set():
        try:
            sent = await outbound.deliver_queued()
        except Exception as exc:  # a database outage must not end the bot; the rows stay queued
            if isinstance(exc, StorageFull):
                log.error("sending queued deliveries waits: %s", exc)
            elif not db.is_outage(exc):
                log.exception("sending queued deliveries failed")
            else:
                log.warning("sending queued deliveries waits for the database (%s)", exc)
            sent = 0
        if not sent:
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)


def _heart(rt: Runtime) -> Heart:
    return Heart(rt.sessions, ProcessKind.BOT, rt.settings.heartbeat_s)


async def beat_forever(heart: Heart, stop: asyncio.Event) -> None:
    """Renew ``heart`` every ``heart.interval_s`` until ``stop`` is set."""
    while not stop.is_set():
        await heart.beat()
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), heart.interval_s)


def _dispatcher(rt: Runtime, bot: Bot) -> tuple[Dispatcher, TelegramOutbound]:
    if rt.retriever is None:
        raise ConfigError("the bot needs the knowledge base: open the runtime with knowledge")
    outbound = TelegramOutbound(bot, settings=rt.settings, session_factory=rt.sessions)
    conversation = Conversation(
        retriever=rt.retriever, settings=rt.settings, render=render_reply, assistant=rt.assistant
    )
    dp = create_dispatcher(
        rt.settings,
        conversation=conversation,
        session_factory=rt.sessions,
        outbound=outbound,
        chat_limiter=rt.chat_limiter,
    )
    return dp, outbound


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop
