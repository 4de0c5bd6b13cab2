"""Queuing notices into the delivery log, a window at a time.

A pending notice becomes ``queued`` by a conditional UPDATE (``WHERE status = 'pending'``) in the
same commit that records its delivery: of two workers only one moves it, and a worker killed
before the commit leaves it pending with no delivery. The delivery log then sends it at most
once (``core.platform.deliveries``): a send whose outcome is unknown is failed and listed, never
repeated. So each customer gets each notice once, or is reported as failed.

At most ``CXC_NOTICE_WINDOW`` notices are in the log unsent at a time, so a pause withdraws
little and the log's senders (Telegram's rate limits) set the pace.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.models import (
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    OutboundDelivery,
)
from core.models.base import utcnow
from core.platform.deliveries import UNSENT


async def in_flight(session: AsyncSession) -> int:
    """Notices queued whose delivery is not sent or failed yet."""
    stmt = (
        select(func.count())
        .select_from(Notice)
        .join(OutboundDelivery, col(OutboundDelivery.id) == col(Notice.delivery_id))
        .where(Notice.status == NoticeStatus.QUEUED, col(OutboundDelivery.status).in_(UNSENT))
    )
    return int((await session.exec(stmt)).one())


async def release_due(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Queue the next pending notices (incidents that are active and started; late orders and
    promises) into the delivery log, up to the window. Returns how many were queued."""
    now = now or utcnow()
    room = settings.notice_window - await in_flight(session)
    if room <= 0:
        await session.commit()
        return 0
    live = select(Incident.id).where(
        Incident.status == IncidentStatus.ACTIVE,
        col(Incident.starts_at) <= now,
        or_(col(Incident.ends_at).is_(None), col(Incident.ends_at) > now),
    )
    due = or_(
        col(Notice.kind) != NoticeKind.INCIDENT,
        and_(col(Notice.kind) == NoticeKind.INCIDENT, col(Notice.subject_id).in_(live)),
    )
    stmt = (
        select(Notice.id)
        .where(Notice.status == NoticeStatus.PENDING, due)
        .order_by(col(Notice.id))
        .limit(room)
        .with_for_update(skip_locked=True, of=Notice)  # PostgreSQL; SQLite ignores it
    )
    ids = list((await session.exec(stmt)).all())
    return await _queue(session, ids, now=now) if ids else 0


async def _queue(session: AsyncSession, ids: list[int | None], *, now: datetime) -> int:
    moved = await session.exec(  # type: ignore[call-overload]
        update(Notice)
        .where(col(Notice.id).in_(ids), col(Notice.status) == NoticeStatus.PENDING)
        .values(status=NoticeStatus.QUEUED, queued_at=now)
        .returning(col(Notice.id))
    )
    ours = [row[0] for row in moved.all()]
    rows = await session.exec(
        select(Notice)
        .where(col(Notice.id).in_(ours))
        .order_by(col(Notice.id))
        .execution_options(populate_existing=True)
    )
    notices = list(rows.all())
    deliveries = []
    for notice in notices:
        assert notice.channel is not None and notice.external_id is not None
        delivery = OutboundDelivery(
            channel=notice.channel,
            external_id=notice.external_id,
            text=notice.text,
            status=DeliveryStatus.PENDING,
            created_at=now,
        )
        session.add(delivery)
        deliveries.append(delivery)
    await session.flush()
    for notice, delivery in zip(notices, deliveries, strict=True):
        notice.delivery_id = delivery.id
        session.add(notice)
    await session.commit()
    return len(notices)
