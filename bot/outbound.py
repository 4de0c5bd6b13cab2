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
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from core.models import DeliveryStatus, OutboundDelivery
from core.models.base import utcnow
from core.platform import deliveries
from core.platform.deliveries import Outcome, OutcomeKind
from core.platform.updates import TELEGRAM
from core.ports import Delivery

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


class TelegramOutbound:
    """Sends customer-facing messages (bot replies, operator replies, pulses) to Telegram chats.

    One request per attempt; what it came to is recorded by ``core.platform.deliveries`` (the
    retry policy lives there): 429 waits Telegram's ``retry_after``, 5xx and refused
    connections back off, a timeout is an unknown outcome and is never retried.
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
        self.bot = bot
        self.settings = settings
        self.limiter = SendLimiter(
            per_chat_interval_s=settings.telegram_per_chat_interval_s,
            global_rate_per_s=settings.telegram_global_rate_per_s,
            sleep=sleep,
        )
        self._sessions = session_factory
        self._clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """Whose claims these are (the lease owner in the delivery log)."""

    async def send(
        self,
        external_id: str,
        text: str,
        *,
        buttons: Sequence[tuple[str, str]] = (),
        message_ref: int | None = None,
    ) -> Delivery:
        """Send ``text`` (split at 4096 characters; buttons under the last part) to a chat now,
        or queue it behind an earlier unsent message to the same chat."""
        async with self._sessions() as session:
            record = await deliveries.record(
                session,
                external_id=external_id,
                text=text,
                buttons=buttons,
                message_id=message_ref,
                channel=self.channel,
                owner=self.owner,
                now=self._clock(),
                lease=timedelta(seconds=self.settings.claim_lease_s),
            )
        if record.status != DeliveryStatus.SENDING:
            return Delivery(ok=False, error="queued behind an earlier message", queued=True)
        return await self._attempt(record, now=None)

    async def deliver_queued(self, *, limit: int = 20, now: datetime | None = None) -> int:
        """Send the deliveries that are due (queued replies and pulses, retries after a wait):
        one per chat at a time, the chats side by side. Returns how many were taken."""
        async with self._sessions() as session:
            records = await deliveries.claim(
                session,
                owner=self.owner,
                channel=self.channel,
                now=now or self._clock(),
                limit=limit,
                lease=timedelta(seconds=self.settings.claim_lease_s),
            )
        await asyncio.gather(*(self._attempt(record, now=now) for record in records))
        return len(records)

    async def _attempt(self, record: OutboundDelivery, *, now: datetime | None) -> Delivery:
        assert record.id is not None
        async with self._sessions() as session:
            ours = await deliveries.begin_attempt(
                session, delivery_id=record.id, owner=self.owner, now=now or self._clock()
            )
        if not ours:
            return Delivery(ok=False, error="the claim expired before the send", queued=True)
        async with self.limiter.chat(record.external_id):
            outcome = await self._post(record)
        async with self._sessions() as session:
            row = await deliveries.settle(
                session,
                delivery_id=record.id,
                owner=self.owner,
                outcome=outcome,
                settings=self.settings,
                now=now or self._clock(),
            )
        if row.status != DeliveryStatus.SENT:
            log.warning("delivery %s to telegram:%s: %s", row.id, row.external_id, row.error)
        return Delivery(
            ok=row.status == DeliveryStatus.SENT,
            external_id=row.provider_message_id,
            error=row.error,
            queued=row.status == DeliveryStatus.PENDING,
        )

    async def _post(self, record: OutboundDelivery) -> Outcome:
        """One try: the parts not sent yet, in order; what Telegram answered, as an Outcome."""
        parts = _split(record.text)
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
