"""TelegramOutbound: core.ports.OutboundChannel for Telegram, with the send queue.

Every send waits its turn: one message per ``telegram_per_chat_interval_s`` to a chat (sends to
one chat go out in order) and at most ``telegram_global_rate_per_s`` overall. HTTP 429: wait
``retry_after`` and retry. Network errors and 5xx: retry with exponential backoff. Each send is
recorded in the delivery log before it is tried and updated with its outcome, so a failed send
is never dropped silently (``core.platform.updates.failed_deliveries``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.keyboards import markup
from core.config import Settings
from core.models import OutboundDelivery
from core.platform import updates
from core.ports import Delivery

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
MAX_TEXT = 4096
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 30.0


@dataclass
class _Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    users: int = 0


class SendLimiter:
    """Per-chat spacing (sends to one chat are serialised) and a global rate."""

    def __init__(
        self,
        *,
        per_chat_interval_s: float,
        global_rate_per_s: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.per_chat_interval_s = per_chat_interval_s
        self.global_interval_s = 1.0 / global_rate_per_s
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[str, _Chat] = {}
        self._global_lock = asyncio.Lock()
        self._global_next = 0.0

    @asynccontextmanager
    async def chat(self, chat_id: str) -> AsyncIterator[None]:
        """Hold the chat for a whole send (retries included), spaced from the previous one."""
        entry = self._chats.setdefault(chat_id, _Chat())
        entry.users += 1
        try:
            async with entry.lock:
                await self._wait_until(entry.next_at)
                try:
                    yield
                finally:
                    entry.next_at = self._clock() + self.per_chat_interval_s
        finally:
            entry.users -= 1
            if len(self._chats) > 10_000:
                self._prune()

    async def global_slot(self) -> None:
        """Wait for a slot under the overall rate (call once per HTTP attempt)."""
        async with self._global_lock:
            await self._wait_until(self._global_next)
            self._global_next = self._clock() + self.global_interval_s

    async def _wait_until(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def _prune(self) -> None:
        now = self._clock()
        for key in [k for k, v in self._chats.items() if not v.users and v.next_at <= now]:
            del self._chats[key]


class TelegramOutbound:
    """Sends customer-facing messages (bot replies and operator replies) to Telegram chats."""

    channel = updates.TELEGRAM

    def __init__(
        self,
        bot: Bot,
        *,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bot = bot
        self.retries = settings.telegram_send_retries
        self.limiter = SendLimiter(
            per_chat_interval_s=settings.telegram_per_chat_interval_s,
            global_rate_per_s=settings.telegram_global_rate_per_s,
            sleep=sleep,
        )
        self._sleep = sleep
        self._sessions = session_factory

    async def send(
        self,
        external_id: str,
        text: str,
        *,
        buttons: Sequence[tuple[str, str]] = (),
        message_ref: int | None = None,
    ) -> Delivery:
        """Send ``text`` (split at 4096 characters; buttons under the last part) to a chat."""
        async with self._sessions() as session:
            record = await updates.start_delivery(
                session,
                external_id=external_id,
                text=text,
                buttons=buttons,
                message_id=message_ref,
                queued=False,
            )
        return await self._deliver(record)

    async def deliver_queued(self, *, limit: int = 20) -> int:
        """Send the deliveries queued in the database (operator replies made through the API).
        Returns how many were taken."""
        async with self._sessions() as session:
            records = await updates.claim_pending_deliveries(session, limit=limit)
        for record in records:
            await self._deliver(record)
        return len(records)

    async def _deliver(self, record: OutboundDelivery) -> Delivery:
        assert record.id is not None
        external_id, buttons = record.external_id, [(b[0], b[1]) for b in record.buttons]
        attempts, error, sent_id = 0, None, None
        async with self.limiter.chat(external_id):
            parts = _split(record.text)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                tries, error, sent_id = await self._try(external_id, part, buttons if last else ())
                attempts += tries
                if error:
                    break
        async with self._sessions() as session:
            await updates.finish_delivery(
                session,
                delivery_id=record.id,
                attempts=attempts,
                error=error,
                provider_message_id=sent_id,
            )
        if error:
            log.warning("delivery %s to telegram:%s failed: %s", record.id, external_id, error)
        return Delivery(ok=error is None, external_id=sent_id, error=error)

    async def _try(
        self, chat_id: str, text: str, buttons: Sequence[tuple[str, str]]
    ) -> tuple[int, str | None, str | None]:
        """(attempts, error or None, Telegram message id)."""
        attempt = 0
        while True:
            attempt += 1
            await self.limiter.global_slot()
            try:
                sent = await self.bot.send_message(
                    chat_id=_chat(chat_id), text=text, reply_markup=markup(buttons)
                )
                return attempt, None, str(sent.message_id)
            except TelegramRetryAfter as exc:
                error, delay = f"429 retry after {exc.retry_after}s", float(exc.retry_after)
            except (TelegramNetworkError, TelegramServerError) as exc:
                error = f"{type(exc).__name__}: {exc.message}"
                delay = min(BACKOFF_BASE_S * 2 ** (attempt - 1), BACKOFF_MAX_S)
            except TelegramAPIError as exc:  # 400, 403 (blocked), 404: retrying will not help
                return attempt, f"{type(exc).__name__}: {exc.message}", None
            if attempt > self.retries:
                return attempt, f"gave up after {attempt} attempts: {error}", None
            log.info("telegram send to %s: %s; retrying in %.1fs", chat_id, error, delay)
            await self._sleep(delay)


def _chat(external_id: str) -> int | str:
    return int(external_id) if external_id.lstrip("-").isdigit() else external_id


def _split(text: str) -> list[str]:
    if len(text) <= MAX_TEXT:
        return [text]
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts
