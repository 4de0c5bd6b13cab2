"""The case ownership state machine: every transition, allowed and refused, on real databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from factories import make_case, make_customer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.errors import CaseNotFound, InvalidTransition
from core.models import Case, CaseStatus, Direction, Message, Owner
from core.models.base import utcnow


async def _events(session: AsyncSession, case_id: int) -> list[str]:
    rows = await session.exec(
        select(Message)
        .where(Message.case_id == case_id, Message.direction == Direction.INTERNAL)
        .order_by(col(Message.id))
    )
    return [str(m.event) for m in rows.all()]


async def _new(session: AsyncSession) -> Case:
    customer = await make_customer(session)
    assert customer.id is not None
    return await lifecycle.open_case(session, customer_id=customer.id, channel="telegram")


def _id(case: Case) -> int:
    assert case.id is not None
    return case.id


async def test_open_case_is_bot_owned_and_logged(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    assert (case.status, case.owner, case.reopen_count) == (CaseStatus.OPEN, Owner.BOT, 0)
    assert await _events(any_session, _id(case)) == ["opened"]


async def test_escalate_moves_a_bot_case_to_a_human(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    case = await lifecycle.escalate(any_session, case_id=_id(case), reason="customer")
    assert (case.status, case.owner) == (CaseStatus.OPEN, Owner.HUMAN)
    with pytest.raises(InvalidTransition, match="owned by human"):
        await lifecycle.escalate(any_session, case_id=_id(case))
    assert await _events(any_session, _id(case)) == ["opened", "escalated"]


async def test_escalate_refuses_a_resolved_case(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    await lifecycle.resolve(any_session, case_id=_id(case))
    with pytest.raises(InvalidTransition, match="resolved"):
        await lifecycle.escalate(any_session, case_id=_id(case))


async def test_assign_only_human_owned_active_cases(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    with pytest.raises(InvalidTransition):
        await lifecycle.assign(any_session, case_id=_id(case), operator="olga")
    await lifecycle.escalate(any_session, case_id=_id(case))
    case = await lifecycle.assign(any_session, case_id=_id(case), operator="olga")
    assert case.assigned_operator == "olga"


async def test_await_customer_and_resume(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    with pytest.raises(InvalidTransition):  # bot-owned
        await lifecycle.await_customer(any_session, case_id=_id(case))
    with pytest.raises(InvalidTransition):  # not pending
        await lifecycle.resume(any_session, case_id=_id(case))
    await lifecycle.escalate(any_session, case_id=_id(case))
    case = await lifecycle.await_customer(any_session, case_id=_id(case))
    assert (case.status, case.owner) == (CaseStatus.PENDING, Owner.HUMAN)
    with pytest.raises(InvalidTransition):
        await lifecycle.await_customer(any_session, case_id=_id(case))
    case = await lifecycle.resume(any_session, case_id=_id(case))
    assert (case.status, case.owner) == (CaseStatus.OPEN, Owner.HUMAN)


async def test_hand_back_returns_the_case_to_the_bot(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    with pytest.raises(InvalidTransition):
        await lifecycle.hand_back(any_session, case_id=_id(case))
    await lifecycle.escalate(any_session, case_id=_id(case))
    await lifecycle.assign(any_session, case_id=_id(case), operator="olga")
    case = await lifecycle.hand_back(any_session, case_id=_id(case), operator="olga")
    assert (case.status, case.owner, case.assigned_operator) == (CaseStatus.OPEN, Owner.BOT, None)
    assert (await _events(any_session, _id(case)))[-1] == "handed_back"


async def test_resolve_from_human_gives_ownership_back_to_the_bot(
    any_session: AsyncSession,
) -> None:
    case = await _new(any_session)
    await lifecycle.escalate(any_session, case_id=_id(case))
    case = await lifecycle.resolve(
        any_session, case_id=_id(case), resolution="refunded", code="refund", by="olga"
    )
    assert (case.status, case.owner) == (CaseStatus.RESOLVED, Owner.BOT)
    assert case.resolved_at is not None and case.resolution_code == "refund"
    with pytest.raises(InvalidTransition):
        await lifecycle.resolve(any_session, case_id=_id(case))


async def test_resolve_a_pending_case(any_session: AsyncSession) -> None:
    case = await _new(any_session)
    await lifecycle.escalate(any_session, case_id=_id(case))
    await lifecycle.await_customer(any_session, case_id=_id(case))
    case = await lifecycle.resolve(any_session, case_id=_id(case))
    assert case.status == CaseStatus.RESOLVED


async def test_reopen_within_the_window_counts(
    any_session: AsyncSession, settings: Settings
) -> None:
    case = await _new(any_session)
    await lifecycle.escalate(any_session, case_id=_id(case))
    await lifecycle.resolve(any_session, case_id=_id(case), now=utcnow() - timedelta(days=6))
    case = await lifecycle.reopen(any_session, case_id=_id(case), settings=settings)
    assert (case.status, case.owner, case.reopen_count) == (CaseStatus.OPEN, Owner.HUMAN, 1)
    assert case.resolved_at is None
    with pytest.raises(InvalidTransition):  # open cases are not reopened
        await lifecycle.reopen(any_session, case_id=_id(case), settings=settings)
    await lifecycle.resolve(any_session, case_id=_id(case))
    case = await lifecycle.reopen(any_session, case_id=_id(case), settings=settings)
    assert case.reopen_count == 2
    assert (await _events(any_session, _id(case))).count("reopened") == 2


async def test_reopen_after_the_window_is_refused(
    any_session: AsyncSession, settings: Settings
) -> None:
    case = await _new(any_session)
    await lifecycle.resolve(any_session, case_id=_id(case), now=utcnow() - timedelta(days=8))
    with pytest.raises(InvalidTransition, match="more than 7 days"):
        await lifecycle.reopen(any_session, case_id=_id(case), settings=settings)
    customer_id = case.customer_id
    assert (
        await lifecycle.reopenable_case(any_session, customer_id=customer_id, settings=settings)
        is None
    )


async def test_close_is_final(any_session: AsyncSession, settings: Settings) -> None:
    case = await _new(any_session)
    with pytest.raises(InvalidTransition):
        await lifecycle.close(any_session, case_id=_id(case))
    await lifecycle.resolve(any_session, case_id=_id(case))
    case = await lifecycle.close(any_session, case_id=_id(case))
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None
    for transition in (lifecycle.escalate, lifecycle.resolve, lifecycle.hand_back, lifecycle.close):
        with pytest.raises(InvalidTransition):
            await transition(any_session, case_id=_id(case))
    with pytest.raises(InvalidTransition):
        await lifecycle.reopen(any_session, case_id=_id(case), settings=settings)


async def test_full_cycle_bot_human_resolved_bot(
    any_session: AsyncSession, settings: Settings
) -> None:
    case = await _new(any_session)
    await lifecycle.escalate(any_session, case_id=_id(case))
    await lifecycle.resolve(any_session, case_id=_id(case))
    assert await lifecycle.active_case(any_session, customer_id=case.customer_id) is None
    last = await lifecycle.reopenable_case(
        any_session, customer_id=case.customer_id, settings=settings
    )
    assert last is not None and last.id == case.id
    fresh = await lifecycle.open_case(any_session, customer_id=case.customer_id, channel="telegram")
    active = await lifecycle.active_case(any_session, customer_id=case.customer_id)
    assert active is not None and active.id == fresh.id and active.owner == Owner.BOT


async def test_missing_case(any_session: AsyncSession) -> None:
    with pytest.raises(CaseNotFound):
        await lifecycle.escalate(any_session, case_id=999_999)


async def test_queue_position_and_expected_wait(
    any_session: AsyncSession, settings: Settings
) -> None:
    start = utcnow() - timedelta(hours=1)
    queued = []
    for minutes in range(4):
        case = await make_case(
            any_session, owner=Owner.HUMAN, opened_at=start + timedelta(minutes=minutes)
        )
        queued.append(_id(case))
    await make_case(any_session, owner=Owner.BOT)  # not in the queue
    await lifecycle.assign(any_session, case_id=queued[0], operator="olga")
    first = await lifecycle.queue_status(any_session, case_id=queued[1], settings=settings)
    last = await lifecycle.queue_status(any_session, case_id=queued[3], settings=settings)
    taken = await lifecycle.queue_status(any_session, case_id=queued[0], settings=settings)
    # 6 minutes per case, 2 operators online
    assert (first.position, first.waiting, first.expected_wait_minutes) == (1, 3, 3)
    assert (last.position, last.expected_wait_minutes) == (3, 9)
    assert taken.position == 0 and taken.expected_wait_minutes == 0
    listed = await any_session.exec(select(Case).where(Case.owner == Owner.HUMAN))
    assert len(listed.all()) == 4
