"""Deliveries the recipient fetches: the web chat has no connection to push to, so a message for
a visitor is recorded in the delivery log as pending (:class:`PickupOutbound`, the channel's
``OutboundChannel``) and handed over when the visitor's page asks for what is new
(:func:`pick_up`): from then on it is sent. The page keeps a cursor (the last delivery id it
showed), so an answer lost on the way is fetched again with the next poll, and nothing is shown
twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import DeliveryStatus, OutboundDelivery
from core.models.base import utcnow
from core.platform import deliveries
from core.ports import Delivery

WEB = "web"
HANDED = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT)


async def pick_up(
    session: AsyncSession,
    *,
    external_id: str,
    after: int = 0,
    channel: str = WEB,
    limit: int = 50,
    now: datetime | None = None,
) -> list[OutboundDelivery]:
    """The recipient's deliveries after the cursor ``after``, oldest first; those not handed
    over yet are sent now."""
    stmt = (
        select(OutboundDelivery)
        .where(
            OutboundDelivery.channel == channel,
            OutboundDelivery.external_id == external_id,
            col(OutboundDelivery.id) > after,
            col(OutboundDelivery.status).in_(HANDED),
        )
        .order_by(col(OutboundDelivery.id))
        .limit(limit)
    )
    rows = list((await session.exec(stmt)).all())
    for row in rows:
        if row.status != DeliveryStatus.SENT:
            row.status, row.finished_at = DeliveryStatus.SENT, now or utcnow()
            row.attempts += 1
            session.add(row)
            await deliveries.mark_message(session, row)
    await session.commit()
    return rows


class PickupOutbound:
    """``OutboundChannel`` for a channel whose recipients fetch their messages (the web chat):
    a send is recorded, pending until the visitor's page picks it up."""

    def __init__(self, session_factory: Callable[[], AsyncSession], *, channel: str = WEB) -> None:
        self.channel = channel
        self._sessions = session_factory

    async def send(
        self, external_id: str, text: str, *, buttons: Sequence[tuple[str, str]] = ()
    ) -> Delivery:
        async with self._sessions() as session:
            await deliveries.record(
                session, external_id=external_id, text=text, channel=self.channel
            )
        return Delivery(ok=False, queued=True)
