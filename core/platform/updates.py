"""The persisted inbound update queue: each update processed once, a poison update parked.

The webhook route calls :func:`enqueue_update`; whoever processes an update first calls
:func:`claim_update`, which succeeds exactly once per (channel, update_id) -- also for an update
it has never seen (long polling) -- and then :func:`finish_update`, or :func:`fail_update` when it
could not be processed. A failed update is retried after a backoff (``next_attempt_at``); after
``update_max_attempts`` tries it is **parked**: kept with its error, listed for supervisors
(:func:`listed`), never retried. A claim left in ``processing`` longer than ``STALE_AFTER`` (a
crashed worker) is claimed again, and counts as a try. :func:`pending_updates` hands out only the
oldest unfinished update of each chat (``chat_key``), so per-chat order holds while an update
waits for its retry, and the other chats go on.

The outbound delivery log and queue are in ``core.platform.deliveries``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import InboundUpdate, UpdateStatus
from core.models.base import utcnow
from core.platform.records import insert_new

TELEGRAM = "telegram"
STALE_AFTER = timedelta(minutes=1)
"""The default claim lease (``CXC_CLAIM_LEASE_S``)."""
MAX_ATTEMPTS = 3
RETRY_BASE = timedelta(seconds=5)
UNFINISHED = (UpdateStatus.PENDING, UpdateStatus.PROCESSING)
CHAT_PATHS = (
    ("message", "chat", "id"),
    ("edited_message", "chat", "id"),
    ("callback_query", "from", "id"),
    ("my_chat_member", "chat", "id"),
    ("channel_post", "chat", "id"),
)


def chat_key(payload: dict[str, Any]) -> str | None:
    """The chat an update belongs to (its updates keep their order), if it names one."""
    for path in CHAT_PATHS:
        node: Any = payload
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, int | str) and not isinstance(node, bool):
            return str(node)[:64]
    return None


async def enqueue_update(
    session: AsyncSession, *, update_id: int, payload: dict[str, Any], channel: str = TELEGRAM
) -> bool:
    """Persist an incoming update for a worker. False when this update_id is already known.

    One statement (``INSERT … ON CONFLICT DO NOTHING``) and its commit: the webhook's whole
    write, so SQLite's one writer lock is held for as short a time as it can be."""
    row = InboundUpdate(
        channel=channel, update_id=update_id, payload=payload, chat_key=chat_key(payload)
    )
    inserted = await insert_new(session, InboundUpdate, [row.model_dump(exclude={"id"})])
    await session.commit()
    return inserted == 1


async def claim_update(
    session: AsyncSession,
    *,
    update_id: int,
    payload: dict[str, Any] | None = None,
    channel: str = TELEGRAM,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> bool:
    """Take an update for processing. True exactly once per try (a retry or a stale claim)."""
    now = now or utcnow()
    row = await _find(session, channel=channel, update_id=update_id)
    if row is None:
        new = InboundUpdate(
            channel=channel,
            update_id=update_id,
            payload=payload or {},
            chat_key=chat_key(payload or {}),
            status=UpdateStatus.PROCESSING,
            attempts=1,
            claimed_at=now,
        )
        return await _insert_once(session, new)
    stale = (
        row.status == UpdateStatus.PROCESSING
        and row.claimed_at is not None
        and now - row.claimed_at > stale_after
    )
    if row.status != UpdateStatus.PENDING and not stale:
        return False
    if row.attempts >= max_attempts:  # it took a worker down each time: park it
        await _fail(session, row, error=row.error or "never finished", park=True, now=now)
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
    session: AsyncSession, *, update_id: int, channel: str = TELEGRAM, now: datetime | None = None
) -> None:
    """Mark a claimed update done."""
    row = await _find(session, channel=channel, update_id=update_id)
    if row is None:
        return
    row.status, row.error, row.processed_at = UpdateStatus.DONE, None, now or utcnow()
    session.add(row)
    await session.commit()


async def fail_update(
    session: AsyncSession,
    *,
    update_id: int,
    error: str,
    channel: str = TELEGRAM,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
) -> UpdateStatus | None:
    """Record a failed try: pending again after a backoff, or parked after ``max_attempts``.

    An update no handler could even read was never claimed: its try is counted here.
    Returns the new status (None for an unknown update)."""
    row = await _find(session, channel=channel, update_id=update_id)
    if row is None:
        return None
    if row.status == UpdateStatus.PENDING:
        row.attempts += 1
    park = row.attempts >= max_attempts
    await _fail(session, row, error=error, park=park, now=now or utcnow())
    return row.status


async def _fail(
    session: AsyncSession, row: InboundUpdate, *, error: str, park: bool, now: datetime
) -> None:
    row.error = error[:2000]
    if park:
        row.status, row.processed_at = UpdateStatus.PARKED, now
    else:
        row.status = UpdateStatus.PENDING
        row.next_attempt_at = now + RETRY_BASE * 2 ** max(row.attempts - 1, 0)
    session.add(row)
    await session.commit()


async def pending_updates(
    session: AsyncSession,
    *,
    channel: str = TELEGRAM,
    limit: int = 50,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
) -> list[InboundUpdate]:
    """Updates to process in arrival order: queued ones that are due, and stale claims of
    crashed workers; only the oldest unfinished update of each chat."""
    now = now or utcnow()
    earlier = aliased(InboundUpdate)
    waits_for_earlier = exists().where(
        col(earlier.channel) == col(InboundUpdate.channel),
        col(earlier.chat_key) == col(InboundUpdate.chat_key),
        col(earlier.update_id) < col(InboundUpdate.update_id),
        col(earlier.status).in_(UNFINISHED),
    )
    due = (col(InboundUpdate.status) == UpdateStatus.PENDING) & or_(
        col(InboundUpdate.next_attempt_at).is_(None), col(InboundUpdate.next_attempt_at) <= now
    )
    stale = (col(InboundUpdate.status) == UpdateStatus.PROCESSING) & (
        col(InboundUpdate.claimed_at) < now - stale_after
    )
    stmt = (
        select(InboundUpdate)
        .where(InboundUpdate.channel == channel, due | stale, ~waits_for_earlier)
        .order_by(col(InboundUpdate.update_id))
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


async def listed(
    session: AsyncSession, *, status: UpdateStatus, limit: int = 100
) -> list[InboundUpdate]:
    """Updates by status, newest first (``parked``: the ones a person should look at)."""
    stmt = (
        select(InboundUpdate)
        .where(InboundUpdate.status == status)
        .order_by(col(InboundUpdate.id).desc())
        .limit(limit)
    )
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
