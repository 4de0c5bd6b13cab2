"""A customer's feedback as an operator sees it beside the case: every answered CSAT/CES pulse
and NPS answer, newest first, with its comment and the recovery case it opened."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Pulse, PulseStatus

SHOWN = 20


async def customer_feedback(
    session: AsyncSession, *, customer_id: int, limit: int = SHOWN
) -> list[Pulse]:
    stmt = (
        select(Pulse)
        .where(Pulse.customer_id == customer_id, Pulse.status == PulseStatus.ANSWERED)
        .order_by(col(Pulse.answered_at).desc(), col(Pulse.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())
