"""The case ownership state machine.

States are (status, owner). The transitions::

    open_case            -> open/bot
    escalate             open|pending/bot    -> open/human        (asked for, or the KB gave up)
    assign               open|pending/human  -> same, assigned_operator set
    await_customer       open/human          -> pending/human     (operator waits for the customer)
    resume               pending/*           -> open/*            (the customer wrote again)
    hand_back            open|pending/human  -> open/bot          (operator returns it to the bot)
    resolve              open|pending/*      -> resolved/bot      (the bot takes what comes next)
    reopen               resolved/*          -> open/human, reopen_count + 1
                         (only within settings.reopen_window_days of resolved_at)
    close                resolved/*          -> closed            (final)

Anything else raises :class:`core.errors.InvalidTransition`. Every transition writes an internal
system message on the case timeline and commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import and_, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.errors import CaseNotFound, InvalidTransition
from core.models import Author, Case, CaseEvent, CaseStatus, Direction, Message, MessageMeta, Owner
from core.models.base import utcnow
from core.platform.records import claim

ACTIVE = (CaseStatus.OPEN, CaseStatus.PENDING)


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """Where a human-owned case stands in the operator queue."""

    position: int
    """1 = next to be picked up; 0 = not waiting (assigned, or not in the queue)."""
    waiting: int
    """Unassigned human-owned open cases in the queue, this one included."""
    expected_wait_minutes: int


async def get_case(session: AsyncSession, case_id: int, *, lock: bool = False) -> Case:
    stmt = select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    case = (await session.exec(stmt)).first()
    if case is None:
        raise CaseNotFound(case_id)
    return case


async def open_case(
    session: AsyncSession,
    *,
    customer_id: int,
    channel: str,
    topic: str | None = None,
    now: datetime | None = None,
) -> Case:
    case = Case(
        customer_id=customer_id, origin_channel=channel, topic=topic, opened_at=now or utcnow()
    )
    session.add(case)
    await session.flush()
    await _commit_event(session, case, CaseEvent.OPENED)
    return case


async def escalate(session: AsyncSession, *, case_id: int, reason: str = "") -> Case:
    case = await _load(session, case_id, status=ACTIVE, owner=(Owner.BOT,), action="escalate")
    case.owner = Owner.HUMAN
    case.status = CaseStatus.OPEN
    await _commit_event(session, case, CaseEvent.ESCALATED, MessageMeta(reason=reason or None))
    return case


async def assign(session: AsyncSession, *, case_id: int, operator: str) -> Case:
    case = await _load(session, case_id, status=ACTIVE, owner=(Owner.HUMAN,), action="assign")
    case.assigned_operator = operator
    await _commit_event(session, case, CaseEvent.ASSIGNED, MessageMeta(operator=operator))
    return case


async def await_customer(session: AsyncSession, *, case_id: int) -> Case:
    case = await _load(
        session,
        case_id,
        status=(CaseStatus.OPEN,),
        owner=(Owner.HUMAN,),
        action="wait for the customer on",
    )
    case.status = CaseStatus.PENDING
    await _commit_event(session, case, CaseEvent.PENDING)
    return case


async def resume(session: AsyncSession, *, case_id: int) -> Case:
    case = await _load(
        session, case_id, status=(CaseStatus.PENDING,), owner=tuple(Owner), action="resume"
    )
    case.status = CaseStatus.OPEN
    await _commit_event(session, case, CaseEvent.RESUMED)
    return case


async def hand_back(session: AsyncSession, *, case_id: int, operator: str | None = None) -> Case:
    case = await _load(session, case_id, status=ACTIVE, owner=(Owner.HUMAN,), action="hand back")
    case.owner = Owner.BOT
    case.status = CaseStatus.OPEN
    case.assigned_operator = None
    await _commit_event(session, case, CaseEvent.HANDED_BACK, MessageMeta(operator=operator))
    return case


async def resolve(
    session: AsyncSession,
    *,
    case_id: int,
    resolution: str | None = None,
    code: str | None = None,
    by: str = Owner.BOT,
    knowledge_entry_id: str | None = None,
    contact_reason: str | None = None,
    now: datetime | None = None,
) -> Case:
    """Resolve; ``contact_reason`` (checked by the caller, ``reasons.check``) is the reason the
    resolver confirmed or chose, set on the case and recorded on the event."""
    case = await _load(session, case_id, status=ACTIVE, owner=tuple(Owner), action="resolve")
    case.status = CaseStatus.RESOLVED
    if contact_reason:
        case.topic = contact_reason
    case.owner = Owner.BOT
    case.resolved_at = now or utcnow()
    case.resolution = resolution
    case.resolution_code = code
    if knowledge_entry_id:
        case.knowledge_entry_id = knowledge_entry_id
    await _commit_event(
        session,
        case,
        CaseEvent.RESOLVED,
        MessageMeta(by=by or None, code=code or None, contact_reason=contact_reason or None),
    )
    return case


async def reopen(
    session: AsyncSession, *, case_id: int, settings: Settings, now: datetime | None = None
) -> Case:
    case = await _load(
        session, case_id, status=(CaseStatus.RESOLVED,), owner=tuple(Owner), action="reopen"
    )
    if not within_reopen_window(case, settings=settings, now=now):
        raise InvalidTransition(
            f"case {case_id} was resolved more than {settings.reopen_window_days} days ago"
        )
    previous = case.resolved_at.isoformat() if case.resolved_at else None
    case.status = CaseStatus.OPEN
    case.owner = Owner.HUMAN
    case.assigned_operator = None
    case.resolved_at = None
    case.reopen_count += 1
    meta = MessageMeta(previous_resolved_at=previous, reopen_count=case.reopen_count)
    await _commit_event(session, case, CaseEvent.REOPENED, meta)
    return case


async def close(session: AsyncSession, *, case_id: int, now: datetime | None = None) -> Case:
    case = await _load(
        session, case_id, status=(CaseStatus.RESOLVED,), owner=tuple(Owner), action="close"
    )
    case.status = CaseStatus.CLOSED
    case.closed_at = now or utcnow()
    await _commit_event(session, case, CaseEvent.CLOSED)
    return case


def within_reopen_window(case: Case, *, settings: Settings, now: datetime | None = None) -> bool:
    if case.status != CaseStatus.RESOLVED or case.resolved_at is None:
        return False
    return (now or utcnow()) - case.resolved_at <= timedelta(days=settings.reopen_window_days)


async def active_case(session: AsyncSession, *, customer_id: int) -> Case | None:
    """The customer's newest open or pending case, if any."""
    stmt = (
        select(Case)
        .where(Case.customer_id == customer_id, col(Case.status).in_(ACTIVE))
        .order_by(col(Case.opened_at).desc(), col(Case.id).desc())
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def reopenable_case(
    session: AsyncSession, *, customer_id: int, settings: Settings, now: datetime | None = None
) -> Case | None:
    """The customer's most recently resolved case, when it is still within the reopen window."""
    stmt = (
        select(Case)
        .where(Case.customer_id == customer_id, Case.status == CaseStatus.RESOLVED)
        .order_by(col(Case.resolved_at).desc(), col(Case.id).desc())
    )
    case = (await session.exec(stmt)).first()
    if case is None or not within_reopen_window(case, settings=settings, now=now):
        return None
    return case


async def queue_status(session: AsyncSession, *, case_id: int, settings: Settings) -> QueueStatus:
    """Position among open, unassigned, human-owned cases (oldest first) and the expected wait."""
    case = await get_case(session, case_id)
    queued = and_(
        Case.owner == Owner.HUMAN,
        Case.status == CaseStatus.OPEN,
        col(Case.assigned_operator).is_(None),
    )
    waiting = (await session.exec(select(func.count()).select_from(Case).where(queued))).one()
    in_queue = (
        case.owner == Owner.HUMAN and case.status == CaseStatus.OPEN and not case.assigned_operator
    )
    if not in_queue:
        return QueueStatus(position=0, waiting=waiting, expected_wait_minutes=0)
    ahead_stmt = (
        select(func.count())
        .select_from(Case)
        .where(
            queued,
            or_(
                col(Case.opened_at) < case.opened_at,
                and_(Case.opened_at == case.opened_at, col(Case.id) < case.id),
            ),
        )
    )
    position = (await session.exec(ahead_stmt)).one() + 1
    minutes = math.ceil(position * settings.handle_time_minutes / settings.operators_online)
    return QueueStatus(position=position, waiting=waiting, expected_wait_minutes=minutes)


async def _load(
    session: AsyncSession,
    case_id: int,
    *,
    status: tuple[str, ...],
    owner: tuple[str, ...],
    action: str,
) -> Case:
    """The case, locked for this transition: of two requests changing it at once, the second
    sees the first one's result (and most often gets InvalidTransition)."""
    case = await get_case(session, case_id, lock=True)
    _check(case, status=status, owner=owner, action=action)
    # SQLite has no row lock: the conditional UPDATE takes the write lock and re-checks the
    # state as committed (on PostgreSQL the row is already locked FOR UPDATE)
    unchanged = [col(Case.status) == case.status, col(Case.owner) == case.owner]
    if not await claim(session, Case, case_id, where=unchanged, values={"status": case.status}):
        await session.commit()  # nothing written: ends the transaction
        _check(await get_case(session, case_id), status=status, owner=owner, action=action)
        raise InvalidTransition(f"cannot {action} case {case_id}: it changed meanwhile")
    return case


def _check(case: Case, *, status: tuple[str, ...], owner: tuple[str, ...], action: str) -> None:
    if case.status not in status or case.owner not in owner:
        raise InvalidTransition(
            f"cannot {action} case {case.id}: it is {case.status} and owned by {case.owner}"
        )


def event_message(
    case: Case,
    event: CaseEvent,
    *,
    text: str | None = None,
    author_ref: str | None = None,
    meta: MessageMeta | None = None,
) -> Message:
    """An internal system entry on the case timeline recording ``event``."""
    assert case.id is not None
    return Message(
        case_id=case.id,
        direction=Direction.INTERNAL,
        channel=case.origin_channel,
        author=Author.SYSTEM,
        author_ref=author_ref,
        text=text or event,
        event=event,
        meta=meta or MessageMeta(),
    )


async def _commit_event(
    session: AsyncSession, case: Case, event: CaseEvent, meta: MessageMeta | None = None
) -> None:
    session.add(case)
    session.add(event_message(case, event, meta=meta))
    await session.commit()
