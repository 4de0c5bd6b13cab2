"""Approval limits over totals: an operator's (or supervisor's) limit covers everything already
committed on the case, and on the customer within the policy window, plus the new offer.

Offers and approvals for one customer run one after another (:func:`lock_customer`), so parallel
requests cannot each see the same old total. Approving and issuing are conditional updates on
the status (``core.platform.records.claim``): they happen once.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Compensation, CompensationStatus, Customer
from core.models.base import utcnow
from core.platform.records import lock_row

COMMITTED = (CompensationStatus.APPROVED, CompensationStatus.ISSUED)


async def lock_customer(session: AsyncSession, *, customer_id: int) -> None:
    """Serialise compensation decisions for the customer until the transaction ends."""
    await lock_row(session, Customer, customer_id)


async def committed_total(
    session: AsyncSession,
    *,
    case_id: int,
    customer_id: int,
    window_days: int,
    exclude_id: int | None = None,
) -> float:
    """Approved and issued value on the case (any age) and on the customer's other cases within
    the last ``window_days``."""
    since = utcnow() - timedelta(days=window_days)
    stmt = select(func.coalesce(func.sum(col(Compensation.value)), 0.0)).where(
        col(Compensation.status).in_(COMMITTED),
        or_(
            col(Compensation.case_id) == case_id,
            (col(Compensation.customer_id) == customer_id)
            & (col(Compensation.created_at) >= since),
        ),
    )
    if exclude_id is not None:
        stmt = stmt.where(col(Compensation.id) != exclude_id)
    return float((await session.exec(stmt)).one())


async def recent_count(session: AsyncSession, *, customer_id: int, days: int) -> int:
    since = utcnow() - timedelta(days=days)
    stmt = (
        select(func.count())
        .select_from(Compensation)
        .where(
            Compensation.customer_id == customer_id,
            col(Compensation.created_at) >= since,
            col(Compensation.status) != CompensationStatus.REJECTED,
        )
    )
    return int((await session.exec(stmt)).one())


def window_days(document: dict[str, object]) -> int:
    return int(str(document.get("window_days", 90)))
