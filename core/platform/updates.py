"""The persisted inbound update queue (each update processed once) and the outbound send log.

Inbound: the webhook route calls :func:`enqueue_update`; whoever processes an update first
calls :func:`claim_update`, which succeeds exactly once per (channel, update_id) -- also for an
update it has never seen (long polling) -- and then :func:`finish_update`. A claim left in
``processing`` longer than ``stale_after`` (a crashed worker) can be claimed again.

Outbound: :func:`start_delivery` records a send before it is tried, :func:`finish_delivery`
records the outcome; failed sends stay in the table (:func:`failed_deliveries`). Messages queued
for a worker (operator replies made through the API) are taken with
:func:`claim_pending_deliveries`, which hands each to exactly one worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import DeliveryStatus, InboundUpdate, Message, OutboundDelivery, UpdateStatus
from core.models.base import utcnow

TELEGRAM = "telegram"
STALE_AFTER = timedelta(minutes=5)


async def enqueue_update(
    session: AsyncSession, *, update_id: int, payload: dict[str, Any], channel: str = TELEGRAM
) -> bool:
    """Persist an incoming update for a worker. False when this update_id is already known."""
    if await _find(session, channel=channel, update_id=update_id) is not None:
        return False
    return await _insert_once(
        session, InboundUpdate(channel=channel, update_id=update_id, payload=payload)
    )


async def claim_update(
    session: AsyncSession,
    *,
    update_id: int,
    payload: dict[str, Any] | None = None,
    channel: str = TELEGRAM,
    stale_after: timedelta = STALE_AFTER,
) -> bool:
    """Take an update for processing. True exactly once per update (barring stale claims)."""
    now = utcnow()
    row = await _find(session, channel=channel, update_id=update_id)
    if row is None:
        return await _insert_once(
            session,
            InboundUpdate(
                channel=channel,
                update_id=update_id,
                payload=payload or {},
                status=UpdateStatus.PROCESSING,
                attempts=1,
                claimed_at=now,
            ),
        )
    stale = (
        row.status == UpdateStatus.PROCESSING
        and row.claimed_at is not None
        and now - row.claimed_at > stale_after
    )
    if row.status != UpdateStatus.PENDING and not stale:
        return False
    result = await session.exec(  # type: ignore[call-overload]
        update(InboundUpdate)
        .where(
            col(InboundUpdate.id) == row.id,
            col(InboundUpdate.status) == row.status,
            col(InboundUpdate.attempts) == row.attempts,
        )
        .values(status=UpdateStatus.PROCESSING, attempts=row.attempts + 1, claimed_at=now)
    )
    await session.commit()
    return bool(result.rowcount == 1)


async def finish_update(
    session: AsyncSession, *, update_id: int, error: str | None = None, channel: str = TELEGRAM
) -> None:
    """Mark a claimed update done, or failed with ``error`` (failed ones are not retried)."""
    row = await _find(session, channel=channel, update_id=update_id)
    if row is None:
        return
    row.status = UpdateStatus.FAILED if error else UpdateStatus.DONE
    row.error = error[:2000] if error else None
    row.processed_at = utcnow()
    session.add(row)
    await session.commit()


async def pending_updates(
    session: AsyncSession, *, channel: str = TELEGRAM, limit: int = 50
) -> list[InboundUpdate]:
    """Queued updates in arrival order, plus stale claims of crashed workers."""
    stale_before = utcnow() - STALE_AFTER
    stmt = (
        select(InboundUpdate)
        .where(
            InboundUpdate.channel == channel,
            (col(InboundUpdate.status) == UpdateStatus.PENDING)
            | (
                (col(InboundUpdate.status) == UpdateStatus.PROCESSING)
                & (col(InboundUpdate.claimed_at) < stale_before)
            ),
        )
        .order_by(col(InboundUpdate.update_id))
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


async def start_delivery(
    session: AsyncSession,
    *,
    external_id: str,
    text: str,
    buttons: Sequence[tuple[str, str]] = (),
    message_id: int | None = None,
    channel: str = TELEGRAM,
    queued: bool = True,
) -> OutboundDelivery:
    """Record a message to send. ``queued=False``: the caller sends it now (status ``sending``),
    so the delivery worker never picks it up as well."""
    delivery = OutboundDelivery(
        channel=channel,
        external_id=external_id,
        text=text,
        buttons=[list(b) for b in buttons],
        message_id=message_id,
        status=DeliveryStatus.PENDING if queued else DeliveryStatus.SENDING,
    )
    session.add(delivery)
    await session.commit()
    return delivery


async def finish_delivery(
    session: AsyncSession,
    *,
    delivery_id: int,
    attempts: int,
    error: str | None = None,
    provider_message_id: str | None = None,
) -> OutboundDelivery:
    delivery = await session.get(OutboundDelivery, delivery_id)
    assert delivery is not None, delivery_id
    delivery.attempts = attempts
    delivery.status = DeliveryStatus.FAILED if error else DeliveryStatus.SENT
    delivery.error = error[:2000] if error else None
    delivery.provider_message_id = provider_message_id
    delivery.finished_at = utcnow()
    session.add(delivery)
    if delivery.message_id is not None:
        message = await session.get(Message, delivery.message_id)
        if message is not None:
            message.meta = message.meta.with_(delivery=delivery.status)
            session.add(message)
    await session.commit()
    return delivery


async def claim_pending_deliveries(
    session: AsyncSession, *, channel: str = TELEGRAM, limit: int = 20
) -> list[OutboundDelivery]:
    """Take queued deliveries for sending, oldest first; each is handed to one worker only."""
    stmt = (
        select(OutboundDelivery)
        .where(
            OutboundDelivery.channel == channel,
            OutboundDelivery.status == DeliveryStatus.PENDING,
        )
        .order_by(col(OutboundDelivery.id))
        .limit(limit)
    )
    claimed = []
    for row in list((await session.exec(stmt)).all()):
        result = await session.exec(
            update(OutboundDelivery)
            .where(
                col(OutboundDelivery.id) == row.id,
                col(OutboundDelivery.status) == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.SENDING)
        )
        if result.rowcount == 1:
            claimed.append(row)
    await session.commit()
    return claimed


async def failed_deliveries(
    session: AsyncSession, *, channel: str | None = None, limit: int = 100
) -> list[OutboundDelivery]:
    stmt = select(OutboundDelivery).where(OutboundDelivery.status == DeliveryStatus.FAILED)
    if channel:
        stmt = stmt.where(OutboundDelivery.channel == channel)
    stmt = stmt.order_by(col(OutboundDelivery.id).desc()).limit(limit)
    return list((await session.exec(stmt)).all())


async def _find(session: AsyncSession, *, channel: str, update_id: int) -> InboundUpdate | None:
    stmt = (
        select(InboundUpdate)
        .where(InboundUpdate.channel == channel, InboundUpdate.update_id == update_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def _insert_once(session: AsyncSession, row: InboundUpdate) -> bool:
    """Insert a new update row; False when another process stored the same update first."""
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return False
    return True
