"""The outbound delivery log and its queue: every message to a customer is recorded before it is
tried, sent by one sender at a time, retried while the channel is unavailable, never sent twice.

Life of a delivery::

    record (owner None)        -> pending           (due at next_attempt_at; None: now)
    record (owner given)       -> sending, claimed by the caller -- or pending, behind an
                                  earlier unsent message to the same chat (order per chat)
    claim (a sender)           pending and due -> sending (lease: lease_owner until claimed_until)
    begin_attempt              attempts + 1, attempt_started_at set and committed before the request
    settle(Outcome)            sent | pending again at next_attempt_at (429: its retry_after;
                               5xx and network errors: exponential backoff) | failed (refused,
                               the retry window is over, or the outcome is unknown)
    an expired lease           never tried: claimable again; tried: failed, "outcome unknown"
    resend (a supervisor)      failed -> pending

The guarantee is **at most once**: a message is retried only when the channel said it was not
delivered (an error response, a refused connection). When a sender dies or a request times out
after it was sent, nobody can tell whether Telegram delivered it (the Bot API has no idempotency
key), so it is failed as "outcome unknown" and listed (:func:`listed`) for a person to check the
chat and resend (:func:`resend`) -- a customer never gets the same message twice.

Claims are exclusive across processes: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, and on
every backend a conditional ``UPDATE ... WHERE status = 'pending'`` whose row count decides. Only
the oldest unsent message of a chat is claimable, so a chat in backoff delays no other chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.errors import InvalidTransition
from core.models import DeliveryStatus, Message, OutboundDelivery
from core.models.base import utcnow
from core.platform.records import fetch

LEASE = timedelta(minutes=1)
"""The default claim lease (``CXC_CLAIM_LEASE_S``)."""
"""How long a claim holds; longer than any one request to a channel."""
BACKOFF_BASE_S = 1.0
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)


class OutcomeKind(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    """Not delivered, and worth trying again later (429, 5xx, a refused connection)."""
    REFUSED = "refused"
    """Not delivered, and retrying will not help (400, 403 blocked, 404)."""
    UNKNOWN = "unknown"
    """Maybe delivered (a timeout after the request went out): never retried."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt came to, as the channel's sender saw it."""

    kind: OutcomeKind
    error: str | None = None
    provider_message_id: str | None = None
    retry_after_s: float | None = None
    """The channel's own wait (Telegram's ``parameters.retry_after``); None: backoff."""
    parts_sent: int = 0


async def record(
    session: AsyncSession,
    *,
    external_id: str,
    text: str,
    buttons: Sequence[tuple[str, str]] = (),
    message_id: int | None = None,
    channel: str,
    owner: str | None = None,
    now: datetime | None = None,
    lease: timedelta = LEASE,
) -> OutboundDelivery:
    """Record a message to send. With ``owner`` the caller sends it now (it holds the claim),
    unless an earlier message to the chat is still unsent: then it queues behind that one."""
    now = now or utcnow()
    delivery = OutboundDelivery(
        channel=channel,
        external_id=external_id,
        text=text,
        buttons=[list(b) for b in buttons],
        message_id=message_id,
        created_at=now,
    )
    if owner is not None and not await _chat_busy(session, channel, external_id):
        delivery.status, delivery.lease_owner = DeliveryStatus.SENDING, owner
        delivery.claimed_until = now + lease
    session.add(delivery)
    await session.commit()
    return delivery


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    channel: str,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    limit: int = 20,
) -> list[OutboundDelivery]:
    """Take due deliveries (the oldest unsent one of each chat) for ``owner``, under a lease."""
    now = now or utcnow()
    await release_expired(session, now=now)
    earlier = aliased(OutboundDelivery)
    queued_behind = exists().where(
        col(earlier.channel) == col(OutboundDelivery.channel),
        col(earlier.external_id) == col(OutboundDelivery.external_id),
        col(earlier.id) < col(OutboundDelivery.id),
        col(earlier.status).in_(UNSENT),
    )
    stmt = (
        select(OutboundDelivery.id)
        .where(
            OutboundDelivery.channel == channel,
            OutboundDelivery.status == DeliveryStatus.PENDING,
            or_(
                col(OutboundDelivery.next_attempt_at).is_(None),
                col(OutboundDelivery.next_attempt_at) <= now,
            ),
            ~queued_behind,
        )
        .order_by(col(OutboundDelivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True, of=OutboundDelivery)  # PostgreSQL; SQLite ignores it
    )
    claimed = []
    for delivery_id in list((await session.exec(stmt)).all()):
        result = await session.exec(  # type: ignore[call-overload]
            update(OutboundDelivery)
            .where(
                col(OutboundDelivery.id) == delivery_id,
                col(OutboundDelivery.status) == DeliveryStatus.PENDING,
            )
            .values(status=DeliveryStatus.SENDING, lease_owner=owner, claimed_until=now + lease)
        )
        if result.rowcount == 1:
            claimed.append(delivery_id)
    await session.commit()
    rows = await session.exec(
        select(OutboundDelivery)
        .where(col(OutboundDelivery.id).in_(claimed))
        .order_by(col(OutboundDelivery.id))
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def release_expired(session: AsyncSession, *, now: datetime | None = None) -> None:
    """Claims whose lease ran out: untried ones are pending again; tried ones failed as unknown."""
    now = now or utcnow()
    expired = and_(
        col(OutboundDelivery.status) == DeliveryStatus.SENDING,
        col(OutboundDelivery.claimed_until) < now,
    )
    await session.exec(  # type: ignore[call-overload]
        update(OutboundDelivery)
        .where(expired, col(OutboundDelivery.attempt_started_at).is_(None))
        .values(status=DeliveryStatus.PENDING, lease_owner=None, claimed_until=None)
    )
    failed: Any = await session.exec(  # type: ignore[call-overload]
        update(OutboundDelivery)
        .where(expired, col(OutboundDelivery.attempt_started_at).is_not(None))
        .values(
            status=DeliveryStatus.FAILED,
            error="outcome unknown: the sender stopped during the send; check the chat "
            "before resending",
            finished_at=now,
            lease_owner=None,
            claimed_until=None,
        )
        .returning(col(OutboundDelivery.message_id))
    )
    for message_id in [m for (m,) in failed.all() if m is not None]:  # the timeline shows it
        message = await session.get(Message, message_id)
        if message is not None:
            message.meta = message.meta.with_(delivery=DeliveryStatus.FAILED)
            session.add(message)
    await session.commit()


async def begin_attempt(
    session: AsyncSession, *, delivery_id: int, owner: str, now: datetime | None = None
) -> bool:
    """Mark the request as going out (committed first). False: the claim is no longer ours."""
    now = now or utcnow()
    result = await session.exec(  # type: ignore[call-overload]
        update(OutboundDelivery)
        .where(
            col(OutboundDelivery.id) == delivery_id,
            col(OutboundDelivery.status) == DeliveryStatus.SENDING,
            col(OutboundDelivery.lease_owner) == owner,
            col(OutboundDelivery.claimed_until) > now,
        )
        .values(attempts=OutboundDelivery.attempts + 1, attempt_started_at=now)
    )
    await session.commit()
    return bool(result.rowcount == 1)


async def settle(
    session: AsyncSession,
    *,
    delivery_id: int,
    owner: str,
    outcome: Outcome,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> OutboundDelivery:
    """Record what an attempt came to: sent, pending again after a wait, or failed."""
    now = now or utcnow()
    row = await fetch(session, OutboundDelivery, delivery_id, kind="delivery")
    if row.lease_owner != owner and outcome.kind != OutcomeKind.SENT:
        return row  # the claim was lost (lease expired); whoever holds it now decides
    row.parts_sent = max(row.parts_sent, outcome.parts_sent)
    row.lease_owner = row.claimed_until = row.attempt_started_at = None
    row.error = outcome.error[:2000] if outcome.error else None
    if outcome.kind == OutcomeKind.SENT:
        row.status, row.provider_message_id = DeliveryStatus.SENT, outcome.provider_message_id
    elif outcome.kind == OutcomeKind.RETRY:
        settings = settings or Settings(_env_file=None)  # type: ignore[call-arg]
        delay = outcome.retry_after_s
        if delay is None:
            backoff = BACKOFF_BASE_S * 2 ** max(row.attempts - 1, 0)
            delay = min(backoff, settings.delivery_backoff_max_s)
        window = timedelta(seconds=settings.delivery_retry_window_s)
        if now + timedelta(seconds=delay) - row.created_at <= window:
            row.status, row.next_attempt_at = DeliveryStatus.PENDING, now + timedelta(seconds=delay)
        else:
            row.status = DeliveryStatus.FAILED
            row.error = f"gave up after {row.attempts} attempts: {outcome.error}"[:2000]
    else:
        row.status = DeliveryStatus.FAILED
        if outcome.kind == OutcomeKind.UNKNOWN:
            row.error = f"outcome unknown: {outcome.error}; check the chat before resending"
    if row.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
        row.finished_at = now
    session.add(row)
    await mark_message(session, row)
    await session.commit()
    return row


async def resend(
    session: AsyncSession, *, delivery_id: int, now: datetime | None = None
) -> OutboundDelivery:
    """Queue a failed delivery again (a supervisor's decision): the next sender takes it."""
    row = await fetch(session, OutboundDelivery, delivery_id, kind="delivery")
    if row.status != DeliveryStatus.FAILED:
        raise InvalidTransition(f"delivery {delivery_id} is {row.status}, not failed")
    row.status, row.next_attempt_at, row.finished_at = DeliveryStatus.PENDING, now, None
    row.created_at = now or utcnow()  # a new retry window
    session.add(row)
    await mark_message(session, row)
    await session.commit()
    return row


async def listed(
    session: AsyncSession,
    *,
    status: DeliveryStatus | None = None,
    message_ids: Sequence[int] | None = None,
    limit: int = 100,
) -> list[OutboundDelivery]:
    """Deliveries, newest first: by status (``failed`` for the ones to look at), or by message."""
    stmt = select(OutboundDelivery)
    if status is not None:
        stmt = stmt.where(OutboundDelivery.status == status)
    if message_ids is not None:
        stmt = stmt.where(col(OutboundDelivery.message_id).in_(message_ids))
    stmt = stmt.order_by(col(OutboundDelivery.id).desc()).limit(limit)
    return list((await session.exec(stmt.execution_options(populate_existing=True))).all())


async def _chat_busy(session: AsyncSession, channel: str, external_id: str) -> bool:
    stmt = select(OutboundDelivery.id).where(
        OutboundDelivery.channel == channel,
        OutboundDelivery.external_id == external_id,
        col(OutboundDelivery.status).in_(UNSENT),
    )
    return (await session.exec(stmt.limit(1))).first() is not None


async def mark_message(session: AsyncSession, row: OutboundDelivery) -> None:
    """Show the delivery's status on its message of the case timeline (not committed)."""
    if row.message_id is None:
        return
    message = await session.get(Message, row.message_id)
    if message is not None:
        message.meta = message.meta.with_(delivery=row.status)
        session.add(message)
