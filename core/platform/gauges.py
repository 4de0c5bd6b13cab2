"""What an operations dashboard watches at a glance (``/metrics``): cases by status and owner,
customer messages waiting to be processed, and replies waiting or failed per channel. Counted
in the database at scrape time, so every replica reports the same figures."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, DeliveryStatus, InboundUpdate, OutboundDelivery, UpdateStatus


@dataclass(frozen=True, slots=True)
class Gauges:
    cases: dict[tuple[str, str], int]
    """(status, owner) -> cases."""
    updates: dict[str, int]
    """inbound update status -> updates (done ones left out)."""
    deliveries: dict[tuple[str, str], int]
    """(channel, status) -> deliveries (sent ones left out)."""


async def gauges(session: AsyncSession) -> Gauges:
    cases = await session.exec(
        select(Case.status, Case.owner, func.count()).group_by(Case.status, Case.owner)
    )
    updates = await session.exec(
        select(InboundUpdate.status, func.count())
        .where(InboundUpdate.status != UpdateStatus.DONE)
        .group_by(InboundUpdate.status)
    )
    deliveries = await session.exec(
        select(OutboundDelivery.channel, OutboundDelivery.status, func.count())
        .where(OutboundDelivery.status != DeliveryStatus.SENT)
        .group_by(OutboundDelivery.channel, OutboundDelivery.status)
    )
    return Gauges(
        cases={(str(s), str(o)): n for s, o, n in cases.all()},
        updates={str(s): n for s, n in updates.all()},
        deliveries={(c, str(s)): n for c, s, n in deliveries.all()},
    )
