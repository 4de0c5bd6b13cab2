"""An order whose promised delivery date has passed without delivery gets a proactive apology,
once per order, with the compensation the policy gives for a late delivery when it needs no
one's approval."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.compensation.policy import Facts, approval_limit, evaluate
from core.compensation.policy_store import active_policy
from core.config import Settings
from core.incidents.declare import compose
from core.incidents.notices import (
    Offer,
    insert_once,
    load_customers,
    notice_row,
    pick_channel,
    sendable,
)
from core.models import ChannelIdentity, Customer, CustomerOrder, Notice, NoticeKind
from core.models.base import utcnow

CLOSED = ("delivered", "cancelled", "canceled", "returned", "completed", "closed")
ISSUE = "late_delivery"
BATCH = 500


async def apologise_late_orders(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Store an apology for each newly late order (none twice). Returns how many."""
    now = now or utcnow()
    late = await _late_orders(session, settings=settings, now=now)
    if not late:
        return 0
    policy = await active_policy(session)
    customers = dict(
        (c.id, (c, ids)) for c, ids in await load_customers(session, [o.customer_id for o in late])
    )
    rows = []
    for order in late:
        customer, identities = customers[order.customer_id]
        offer = _offer(policy.document, policy.version, order, customer)
        identity = pick_channel(customer, identities, sendable(settings))
        rows.append(_row(order, customer, identity, offer, now))
    await insert_once(session, rows)
    await session.commit()
    return len(rows)


async def _late_orders(
    session: AsyncSession, *, settings: Settings, now: datetime
) -> list[CustomerOrder]:
    told = exists().where(
        col(Notice.kind) == NoticeKind.LATE_ORDER,
        col(Notice.subject_id) == col(CustomerOrder.id),
    )
    stmt = (
        select(CustomerOrder)
        .where(
            col(CustomerOrder.delivered_at).is_(None),
            col(CustomerOrder.promised_at) < now - timedelta(hours=settings.late_order_grace_h),
            col(CustomerOrder.promised_at)
            > now - timedelta(days=settings.late_order_lookback_days),
            func.lower(col(CustomerOrder.status)).not_in(CLOSED),
            ~told,
        )
        .order_by(col(CustomerOrder.id))
        .limit(BATCH)
    )
    return list((await session.exec(stmt)).all())


def _offer(
    document: dict[str, Any], version: int, order: CustomerOrder, customer: Customer
) -> Offer | None:
    """The policy's first offer for a late delivery, when it applies without approval."""
    if ISSUE not in document.get("rules", {}):
        return None
    facts = Facts(
        issue_type=ISSUE,
        order_id=order.number,
        order_value=order.total,
        tier=customer.tier,
        lifetime_value=customer.lifetime_value,
    )
    limit = approval_limit(document, "operator")
    offer = evaluate(document, facts, version=version, limit=limit)
    if offer.requires_approval or not offer.items:
        return None
    item = offer.items[0]
    currency = None if item.type == "loyalty_points" else offer.currency
    return Offer(item.type, item.amount, currency)


def _row(
    order: CustomerOrder,
    customer: Customer,
    identity: ChannelIdentity | None,
    offer: Offer | None,
    now: datetime,
) -> dict[str, Any]:
    language = i18n.language_of(customer.language)
    assert order.promised_at is not None
    apology = i18n.text(
        language,
        "notice.late_order",
        order=order.number,
        date=i18n.date(order.promised_at, language),
    )
    text = compose(apology, offer, language)
    return notice_row(
        NoticeKind.LATE_ORDER, order.id, customer, identity, language=language, text=text,
        now=now, offer=offer,
    )  # fmt: skip
