"""A promise an operator made that stays open past its due time by the grace period
(``CXC_PROMISE_NOTICE_GRACE_H``): the customer gets an honest notice, once ("we promised X by
Y; it is late; here is what happens now"). The operator and the supervisors were alerted when
it fell overdue (``core.cases.promises.flag_overdue``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.config import Settings
from core.incidents.notices import insert_once, load_customers, notice_row, pick_channel, sendable
from core.models import (
    Case,
    ChannelIdentity,
    Customer,
    Notice,
    NoticeKind,
    Promise,
    PromiseStatus,
)
from core.models.base import utcnow

BATCH = 500


async def tell_late_promises(
    session: AsyncSession, *, settings: Settings, now: datetime | None = None
) -> int:
    """Store a notice for each promise newly past its grace period. Returns how many."""
    now = now or utcnow()
    told = exists().where(
        col(Notice.kind) == NoticeKind.LATE_PROMISE, col(Notice.subject_id) == col(Promise.id)
    )
    grace = timedelta(hours=settings.promise_notice_grace_h)
    stmt = (
        select(Promise, Case)
        .join(Case, col(Case.id) == col(Promise.case_id))
        .where(
            Promise.status == PromiseStatus.OPEN,
            col(Promise.overdue_flagged_at).is_not(None),
            col(Promise.due_at) < now - grace,
            ~told,
        )
        .order_by(col(Promise.id))
        .limit(BATCH)
    )
    late = list((await session.exec(stmt)).all())
    if not late:
        return 0
    customers = {
        c.id: (c, ids) for c, ids in await load_customers(session, [p.customer_id for p, _ in late])
    }
    rows = [_row(p, case, *customers[p.customer_id], sendable(settings), now) for p, case in late]
    await insert_once(session, rows)
    await session.commit()
    return len(rows)


def _row(
    promise: Promise,
    case: Case,
    customer: Customer,
    identities: Sequence[ChannelIdentity],
    channels: tuple[str, ...],
    now: datetime,
) -> dict[str, Any]:
    language = i18n.language_of(customer.language)
    ordered = (case.origin_channel, *channels) if case.origin_channel in channels else channels
    identity = pick_channel(customer, identities, ordered)
    text = i18n.text(
        language,
        "notice.late_promise",
        promise=promise.text,
        date=i18n.date(promise.due_at, language),
        case=case.id,
    )
    return notice_row(
        NoticeKind.LATE_PROMISE, promise.id, customer, identity, language=language, text=text,
        now=now,
    )  # fmt: skip
