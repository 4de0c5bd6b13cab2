"""Update-level middleware: process each update once, with a database session per update.

Order per update: a fast duplicate guard (memory, or Redis when ``CXC_REDIS_URL`` is set), then
the persisted claim (``core.platform.updates.claim_update``: the authority, survives restarts and
works across processes), then the handlers with ``data["session"]``, then the update is marked
done -- or failed (``core.platform.updates.fail_update``): retried after a backoff, parked after
``update_max_attempts`` tries, and forgotten by the duplicate guard so that its retry gets in.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbound import TelegramOutbound
from bot.texts import language_of, t
from core.models import UpdateStatus
from core.platform import updates
from core.ports import RateLimiter

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateGuard:
    """Remembers recent update ids: in memory (bounded), or in Redis with a TTL."""

    def __init__(self, redis: Any | None = None, *, size: int = 10_000, ttl_s: int = 86_400):
        self._redis = redis
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._size = size
        self._ttl_s = ttl_s

    async def first_time(self, update_id: int) -> bool:
        if self._redis is not None:
            key = f"cxc:tg-update:{update_id}"
            return bool(await self._redis.set(key, 1, nx=True, ex=self._ttl_s))
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True

    async def forget(self, update_id: int) -> None:
        """Let ``update_id`` in again (it failed and will be retried)."""
        if self._redis is not None:
            await self._redis.delete(f"cxc:tg-update:{update_id}")
        else:
            self._seen.pop(update_id, None)


class UpdateMiddleware(BaseMiddleware):
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        guard: UpdateGuard,
        *,
        max_attempts: int = updates.MAX_ATTEMPTS,
        stale_after: timedelta = updates.STALE_AFTER,
    ) -> None:
        self.sessions = session_factory
        self.guard = guard
        self.max_attempts = max_attempts
        self.stale_after = stale_after

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        uid = event.update_id
        if not await self.guard.first_time(uid) or not await self._claimed(event):
            log.info("telegram update %s already processed; skipped", uid)
            return UNHANDLED
        started = time.perf_counter()
        try:
            async with self.sessions() as session:
                data["session"] = session
                result = await handler(event, data)
        except Exception as exc:
            await self.guard.forget(uid)
            await record_failure(self.sessions, uid, exc, max_attempts=self.max_attempts)
            raise
        async with self.sessions() as session:
            await updates.finish_update(session, update_id=uid)
        ms = round((time.perf_counter() - started) * 1000, 1)
        log.info("telegram update handled", extra={"update_id": uid, "ms": ms})
        return result

    async def _claimed(self, event: Update) -> bool:
        """Claim the update; a claim that could not be written (an outage, a full disk) lets
        the update in again for its next try."""
        try:
            return await self._claim(event)
        except Exception:
            await self.guard.forget(event.update_id)
            raise

    async def _claim(self, event: Update) -> bool:
        payload = event.model_dump(mode="json", by_alias=True, exclude_none=True)
        async with self.sessions() as session:
            return await updates.claim_update(
                session,
                update_id=event.update_id,
                payload=payload,
                max_attempts=self.max_attempts,
                stale_after=self.stale_after,
            )


async def record_failure(
    sessions: async_sessionmaker[AsyncSession], update_id: int, exc: BaseException, **kw: Any
) -> None:
    """Record a failed try of an update; a parked one is logged once, as a warning."""
    error = f"{type(exc).__name__}: {exc}"
    async with sessions() as session:
        status = await updates.fail_update(session, update_id=update_id, error=error, **kw)
    if status == UpdateStatus.PARKED:
        log.warning("telegram update %s parked after repeated failures: %s", update_id, error)


class ChatRateLimit(BaseMiddleware):
    """Messages and taps per chat (``CXC_RATE_LIMIT_CHAT``). An update over the limit is not
    handled (it is marked done, not retried); the chat is told once per full window."""

    def __init__(self, limiter: RateLimiter, outbound: TelegramOutbound) -> None:
        self.limiter = limiter
        self.outbound = outbound
        self._told: dict[int, float] = {}  # chat -> when its window has room again

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        chat_id, language = chat_of(event)
        wait = await self.limiter.hit(str(chat_id)) if chat_id is not None else None
        if chat_id is None or wait is None:
            return await handler(event, data)
        log.info("telegram update %s over the chat's rate limit; dropped", event.update_id)
        now = time.monotonic()
        if self._told.get(chat_id, 0.0) <= now:
            self._told = {chat: until for chat, until in self._told.items() if until > now}
            self._told[chat_id] = now + wait
            text = t(language, "slow_down", seconds=math.ceil(wait))
            try:
                await self.outbound.send(str(chat_id), text)
            except Exception as exc:  # the notice is a courtesy: the update is dropped anyway
                log.warning("could not tell chat %s to slow down: %s", chat_id, exc)
        return UNHANDLED


def chat_of(update: Update) -> tuple[int | None, str]:
    """The chat an update comes from and its customer's language."""
    message = update.message or update.edited_message
    if message is not None:
        user = message.from_user
        return message.chat.id, language_of(user.language_code if user else None)
    if update.callback_query is not None:
        user = update.callback_query.from_user
        return user.id, language_of(user.language_code)
    return None, "en"
