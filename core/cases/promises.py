"""Promises an operator makes to a customer, with a due time; kept, broken, or overdue.

Overdue = still open after ``due_at``. :func:`flag_overdue` (for the worker loop) stamps
``overdue_flagged_at`` once per promise so a notification goes out once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.errors import InvalidInput, InvalidTransition
from core.models import Case, CaseEvent, Message, MessageMeta, Promise, PromiseStatus, User
from core.models.base import utcnow
from core.platform import auth
from core.platform.records import claim, fetch

log = logging.getLogger(__name__)


async def make_promise(
    session: AsyncSession, *, case_id: int, user: User, text: str, due_at: datetime
) -> Promise:
    case = await lifecycle.get_case(session, case_id)
    auth.require_case_access(user, case)
    text = text.strip()
    if not text:
        raise InvalidInput("a promise needs a text")
    if due_at.tzinfo is None:
        raise InvalidInput("due_at needs a timezone")
    assert case.id is not None
    promise = Promise(
        case_id=case.id,
        customer_id=case.customer_id,
        text=text[:1000],
        due_at=due_at,
        created_by=user.name,
    )
    session.add(promise)
    session.add(
        lifecycle.event_message(
            case,
            CaseEvent.PROMISED,
            text=f"promise: {promise.text} (due {due_at.isoformat()})",
            author_ref=user.name,
            meta=MessageMeta(due_at=due_at.isoformat()),
        )
    )
    await session.commit()
    return promise


async def get_promise(session: AsyncSession, promise_id: int) -> Promise:
    return await fetch(session, Promise, promise_id, kind="promise")


async def close_promise(
    session: AsyncSession, *, promise_id: int, user: User, kept: bool
) -> Promise:
    promise = await get_promise(session, promise_id)
    auth.require_case_access(user, await lifecycle.get_case(session, promise.case_id))
    closed = {
        "status": PromiseStatus.KEPT if kept else PromiseStatus.BROKEN,
        "closed_by": user.name,
        "closed_at": utcnow(),
    }
    open_ = [col(Promise.status) == PromiseStatus.OPEN]
    if not await claim(session, Promise, promise_id, where=open_, values=closed):
        await session.commit()  # nothing written: ends the transaction
        promise = await get_promise(session, promise_id)
        raise InvalidTransition(f"promise {promise_id} is already {promise.status}")
    await session.commit()
    return await get_promise(session, promise_id)


async def list_promises(
    session: AsyncSession,
    *,
    status: str | None = None,
    overdue: bool = False,
    case_id: int | None = None,
    customer_id: int | None = None,
    user: User | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[Promise]:
    """Promises by due time; with ``user``, only those on cases the user may see."""
    stmt = select(Promise)
    visible = auth.visible_cases(user) if user is not None else None
    if visible is not None:
        stmt = stmt.join(Case, col(Case.id) == col(Promise.case_id)).where(visible)
    if overdue:
        stmt = stmt.where(
            Promise.status == PromiseStatus.OPEN, col(Promise.due_at) < (now or utcnow())
        )
    elif status:
        stmt = stmt.where(Promise.status == status)
    if case_id is not None:
        stmt = stmt.where(Promise.case_id == case_id)
    if customer_id is not None:
        stmt = stmt.where(Promise.customer_id == customer_id)
    stmt = stmt.order_by(col(Promise.due_at), col(Promise.id)).limit(limit)
    return list((await session.exec(stmt)).all())


def is_overdue(promise: Promise, *, now: datetime | None = None) -> bool:
    return promise.status == PromiseStatus.OPEN and promise.due_at < (now or utcnow())


async def flag_overdue(session: AsyncSession, *, now: datetime | None = None) -> list[Promise]:
    """Stamp newly overdue promises (for the worker loop); returns the ones stamped now."""
    now = now or utcnow()
    stmt = select(Promise).where(
        Promise.status == PromiseStatus.OPEN,
        col(Promise.due_at) < now,
        col(Promise.overdue_flagged_at).is_(None),
    )
    rows = list((await session.exec(stmt)).all())
    for promise in rows:
        promise.overdue_flagged_at = now
        session.add(promise)
        session.add(await _overdue_alert(session, promise))
    await session.commit()
    return rows


async def _overdue_alert(session: AsyncSession, promise: Promise) -> Message:
    """The alert on the case's timeline: its operator's queue and the supervisors' lists show
    it (``GET /v1/promises?overdue=true``)."""
    case = await lifecycle.get_case(session, promise.case_id)
    log.warning(
        "promise %s on case %s is overdue: alerting %s and the supervisors",
        promise.id,
        promise.case_id,
        promise.created_by,
    )
    return lifecycle.event_message(
        case,
        CaseEvent.PROMISE_OVERDUE,
        text=f"promise overdue: {promise.text} (due {promise.due_at.isoformat()}); "
        f"alert to {promise.created_by} and the supervisors",
        author_ref="system",
        meta=MessageMeta(due_at=promise.due_at.isoformat()),
    )
