"""create_dispatcher: the aiogram Dispatcher with our middleware, routers and context data."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from aiogram import Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import ErrorEvent
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers import build_router
from bot.middlewares import ChatRateLimit, UpdateGuard, UpdateMiddleware, chat_of
from bot.outbound import TelegramOutbound
from bot.texts import t
from core.config import Settings
from core.conversation.turn import Conversation
from core.errors import StorageFull
from core.ports import RateLimiter

log = logging.getLogger(__name__)


def create_dispatcher(
    settings: Settings,
    *,
    conversation: Conversation,
    session_factory: async_sessionmaker[AsyncSession],
    outbound: TelegramOutbound,
    storage: BaseStorage | None = None,
    chat_limiter: RateLimiter | None = None,
) -> Dispatcher:
    """Build the Dispatcher around the ready ``conversation`` (handed to the handlers as
    ``conversation``). FSM storage, per-chat event isolation and the duplicate guard live in
    memory, or in Redis when ``settings.redis_url`` is set. ``chat_limiter`` caps the updates
    per chat (``CXC_RATE_LIMIT_CHAT``)."""
    storage, isolation, redis = _storage(settings, storage)
    dp = Dispatcher(storage=storage, events_isolation=isolation, name="cxc")
    dp.update.outer_middleware(
        UpdateMiddleware(
            session_factory,
            UpdateGuard(redis),
            max_attempts=settings.update_max_attempts,
            stale_after=timedelta(seconds=settings.claim_lease_s),
        )
    )
    if chat_limiter is not None:  # after the claim: a dropped update is done, not retried
        dp.update.outer_middleware(ChatRateLimit(chat_limiter, outbound))
    dp.include_router(build_router())
    dp.errors.register(_on_error)
    dp["settings"] = settings
    dp["conversation"] = conversation
    dp["outbound"] = outbound
    dp["session_factory"] = session_factory
    dp["told_storage_full"] = BoundedSet()
    return dp


def _storage(
    settings: Settings, storage: BaseStorage | None
) -> tuple[BaseStorage, BaseEventIsolation, Any | None]:
    if storage is None and settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(settings.redis_url)
    if storage is None:
        return MemoryStorage(), SimpleEventIsolation(), None
    redis = getattr(storage, "redis", None)
    create_isolation = getattr(storage, "create_isolation", None)
    isolation = create_isolation() if create_isolation else SimpleEventIsolation()
    return storage, isolation, redis


async def _on_error(
    event: ErrorEvent, outbound: TelegramOutbound, told_storage_full: BoundedSet
) -> bool:
    """Log the failure and tell the customer honestly; the update is already marked failed.

    A full disk (``StorageFull``) is one line in the log and a polite word to the customer, once
    per update, sent directly (the delivery log cannot be written); the error goes on to the
    webhook worker, which waits before it reads the queue again (the update stays queued)."""
    if isinstance(event.exception, StorageFull):
        await _storage_full(event, outbound, told_storage_full)
        raise event.exception
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    chat_id, language = chat_of(event.update)
    if chat_id is not None:
        try:
            await outbound.send(str(chat_id), t(language, "error"))
        except Exception:  # the apology itself must not take the bot down
            log.exception("could not tell chat %s about the failure", chat_id)
    return True


class BoundedSet:
    """The update ids a customer was told about a full disk (the latest 10,000)."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def add(self, key: int) -> bool:
        """True the first time ``key`` is added."""
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


async def _storage_full(event: ErrorEvent, outbound: TelegramOutbound, told: BoundedSet) -> None:
    update_id = event.update.update_id
    log.warning("telegram update %s waits: %s", update_id, event.exception)
    chat_id, language = chat_of(event.update)
    if chat_id is None or not told.add(update_id):
        return
    try:
        await outbound.bot.send_message(chat_id=chat_id, text=t(language, "storage_full"))
    except TelegramAPIError as exc:  # a courtesy: the update is answered once there is space
        log.warning("could not tell chat %s about the full disk: %s", chat_id, exc)
