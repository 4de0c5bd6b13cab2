"""Promises: due times, overdue listing and flagging, kept and broken counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import promises
from core.customers.context import churn_risk, promise_counts
from core.errors import InvalidTransition, NotAllowed
from core.models import Case, Customer
from core.platform import auth


async def test_overdue_kept_and_broken(any_session: AsyncSession) -> None:
    customer = Customer(name="Петр")
    any_session.add(customer)
    await any_session.flush()
    assert customer.id is not None
    case = Case(customer_id=customer.id, origin_channel="phone", owner="human")
    any_session.add(case)
    await any_session.commit()
    assert case.id is not None
    op, _ = await auth.create_user(any_session, name="op", role="operator")
    now = datetime.now(UTC)
    late = await promises.make_promise(
        any_session,
        case_id=case.id,
        user=op,
        text="Перезвонить в 10:00",
        due_at=now - timedelta(hours=1),
    )
    soon = await promises.make_promise(
        any_session,
        case_id=case.id,
        user=op,
        text="Вернуть деньги за 3 дня",
        due_at=now + timedelta(days=3),
    )
    overdue = await promises.list_promises(any_session, overdue=True)
    assert [p.id for p in overdue] == [late.id]
    flagged = await promises.flag_overdue(any_session)
    assert [p.id for p in flagged] == [late.id]
    assert await promises.flag_overdue(any_session) == []
    counts = await promise_counts(any_session, customer_id=customer.id)
    assert counts["open"] == 2 and counts["overdue"] == 1
    assert (await churn_risk(any_session, customer=customer)).flag

    await promises.close_promise(any_session, promise_id=late.id or 0, user=op, kept=False)
    await promises.close_promise(any_session, promise_id=soon.id or 0, user=op, kept=True)
    with pytest.raises(InvalidTransition):
        await promises.close_promise(any_session, promise_id=soon.id or 0, user=op, kept=False)
    counts = await promise_counts(any_session, customer_id=customer.id)
    assert (counts["kept"], counts["broken"], counts["overdue"]) == (1, 1, 0)


async def test_operator_cannot_promise_on_someone_elses_case(session: AsyncSession) -> None:
    customer = Customer()
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    case = Case(
        customer_id=customer.id,
        origin_channel="telegram",
        owner="human",
        assigned_operator="someone",
    )
    session.add(case)
    await session.commit()
    op, _ = await auth.create_user(session, name="op", role="operator")
    with pytest.raises(NotAllowed):
        await promises.make_promise(
            session, case_id=case.id or 0, user=op, text="x", due_at=datetime.now(UTC)
        )
