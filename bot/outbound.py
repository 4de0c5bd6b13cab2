"""TelegramOutbound: core.ports.OutboundChannel for Telegram over the delivery queue.

Every send waits its turn: one message per ``telegram_per_chat_interval_s`` to a chat (sends to
one chat go out in order) and at most ``telegram_global_rate_per_s`` overall. Each send is
recorded in the delivery log (``core.platform.deliveries``) before it is tried and settled with
its outcome: HTTP 429 is retried after Telegram's ``retry_after``, 5xx and network errors with
exponential backoff (``next_attempt_at``, by whichever process drains the queue:
:meth:`TelegramOutbound.deliver_queued`), for ``delivery_retry_window_s``; then, or on a refusal,
the delivery fails and is listed for a resend. Nothing is sent twice (the module's docstring in
``core.platform.deliveries`` says why and how).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

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
from core.models.base import utcnow
from core.platform.deliveries import Outcome, OutcomeKind
from core.platform.sender import QueuedSender
from core.platform.updates import TELEGRAM

log = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
MAX_TEXT = 4096


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


class TelegramOutbound(QueuedSender):
    """Sends customer-facing messages (bot replies, operator replies, pulses) to Telegram chats.

    One request per attempt; what it came to is recorded by ``core.platform.deliveries`` (the
    retry policy lives there): 429 waits Telegram's ``retry_after``, 5xx and refused
    connections back off, a timeout is an unknown outcome and is never retried. A text over
    4096 characters is split, buttons under the last part.
    """

    channel = TELEGRAM

    def __init__(
        self,
        bot: Bot,
        *,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        super().__init__(
            settings=settings, session_factory=session_factory, clock=clock, owner=owner
        )
        self.bot = bot
        self.limiter = SendLimiter(
            per_chat_interval_s=settings.telegram_per_chat_interval_s,
            global_rate_per_s=settings.telegram_global_rate_per_s,
            sleep=sleep,
        )

    async def transmit(self, record: OutboundDelivery) -> Outcome:
        """One chat at a time (Telegram's per-chat limit), the chats side by side."""
        async with self.limiter.chat(record.external_id):
            return await self._post(record)

    async def _post(self, record: OutboundDelivery) -> Outcome:
        """One try: the parts not sent yet, in order; what Telegram answered, as an Outcome."""
        parts = split_text(record.text)
        buttons = [(b[0], b[1]) for b in record.buttons]
        sent_id = None
        for i in range(record.parts_sent, len(parts)):
            last = i == len(parts) - 1
            await self.limiter.global_slot()
            try:
                sent = await self.bot.send_message(
                    chat_id=_chat(record.external_id),
                    text=parts[i],
                    reply_markup=markup(buttons if last else ()),
                )
            except TelegramAPIError as exc:
                return _failure(exc, parts_sent=i)
            sent_id = str(sent.message_id)
        return Outcome(OutcomeKind.SENT, provider_message_id=sent_id, parts_sent=len(parts))


def _failure(exc: TelegramAPIError, *, parts_sent: int) -> Outcome:
    """Telegram's answer (or the network's silence) as a delivery outcome."""
    error = f"{type(exc).__name__}: {exc.message}"
    if isinstance(exc, TelegramRetryAfter):
        return Outcome(
            OutcomeKind.RETRY,
            error=f"429 retry after {exc.retry_after}s",
            retry_after_s=float(exc.retry_after),
            parts_sent=parts_sent,
        )
    if isinstance(exc, TelegramNetworkError) and "timeout" in exc.message.lower():
        return Outcome(OutcomeKind.UNKNOWN, error=error, parts_sent=parts_sent)
    if isinstance(exc, TelegramNetworkError | TelegramServerError):
        return Outcome(OutcomeKind.RETRY, error=error, parts_sent=parts_sent)
    return Outcome(OutcomeKind.REFUSED, error=error, parts_sent=parts_sent)  # 400, 403, 404


def _chat(external_id: str) -> int | str:
    return int(external_id) if external_id.lstrip("-").isdigit() else external_id


def split_text(text: str) -> list[str]:
    """The parts a text goes out in: at most 4096 characters each, cut at a line break where
    one falls in the second half of a part."""
    if len(text) <= MAX_TEXT:
        return [text]
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = text.rfind("\n", 0, MAX_TEXT)
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*parts, text] if text else parts
