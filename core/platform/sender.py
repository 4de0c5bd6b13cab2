"""The delivery-log side of every channel's sender (``core.platform.deliveries`` keeps the
rules): a message is recorded and sent at once, or queued behind an earlier unsent one to the
same address; a worker claims what is due; each try is begun under the lease and settled with
its outcome. A channel's sender (Telegram, e-mail) only says how one message goes out:
:meth:`QueuedSender.transmit`."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.models import DeliveryStatus, OutboundDelivery
from core.models.base import utcnow
from core.platform import deliveries
from core.platform.deliveries import Outcome
from core.ports import Delivery

log = logging.getLogger(__name__)


class QueuedSender:
    channel: str

    def __init__(
        self,
        *,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.settings = settings
        self._sessions = session_factory
        self._clock = clock
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        """Whose claims these are (the lease owner in the delivery log)."""

    async def transmit(self, record: OutboundDelivery) -> Outcome:
        """One try at sending ``record``; what the channel answered, as an Outcome."""
        raise NotImplementedError

    async def send(
        self,
        external_id: str,
        text: str,
        *,
        buttons: Sequence[tuple[str, str]] = (),
        message_ref: int | None = None,
    ) -> Delivery:
        """Send ``text`` now, or queue it behind an earlier unsent message to the same
        address."""
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
                lease=self._lease,
            )
        if record.status != DeliveryStatus.SENDING:
            return Delivery(ok=False, error="queued behind an earlier message", queued=True)
        return await self._attempt(record, now=None)

    async def deliver_queued(self, *, limit: int = 20, now: datetime | None = None) -> int:
        """Send the deliveries that are due (queued replies and pulses, retries after a wait),
        side by side. Returns how many were taken."""
        async with self._sessions() as session:
            records = await deliveries.claim(
                session,
                owner=self.owner,
                channel=self.channel,
                now=now or self._clock(),
                limit=limit,
                lease=self._lease,
            )
        await asyncio.gather(*(self._attempt(record, now=now) for record in records))
        return len(records)

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.claim_lease_s)

    async def _attempt(self, record: OutboundDelivery, *, now: datetime | None) -> Delivery:
        assert record.id is not None
        async with self._sessions() as session:
            ours = await deliveries.begin_attempt(
                session, delivery_id=record.id, owner=self.owner, now=now or self._clock()
            )
        if not ours:
            return Delivery(ok=False, error="the claim expired before the send", queued=True)
        outcome = await self.transmit(record)
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
            log.warning(
                "delivery %s to %s:%s: %s", row.id, self.channel, row.external_id, row.error
            )
        return Delivery(
            ok=row.status == DeliveryStatus.SENT,
            external_id=row.provider_message_id,
            error=row.error,
            queued=row.status == DeliveryStatus.PENDING,
        )
