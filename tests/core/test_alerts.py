"""The console's alerts on SQLite and PostgreSQL: a customer waits from their first message
after the operator's last reply; promises past due; only the cases the user may act on."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.desk.alerts import alerts
from core.models import Author, Case, Customer, Direction, Message, Owner, Promise
from core.models.base import utcnow
from core.platform import auth


async def _case(session: AsyncSession, operator: str | None, said: list[tuple[str, int]]) -> Case:
    customer = Customer(name="Ира")
    session.add(customer)
    await session.flush()
    case = Case(
        customer_id=customer.id or 0,
        origin_channel="telegram",
        owner=Owner.HUMAN,
        assigned_operator=operator,
    )
    session.add(case)
    await session.flush()
    now = utcnow()
    for who, minutes_ago in said:
        author = Author(who)
        direction = Direction.INBOUND if author == Author.CUSTOMER else Direction.OUTBOUND
        session.add(
            Message(
                case_id=case.id or 0,
                direction=direction,
                channel="telegram",
                author=author,
                text=who,
                created_at=now - timedelta(minutes=minutes_ago),
            )
        )
    await session.commit()
    return case


async def test_waiting_customers_overdue_promises_and_who_sees_them(
    any_session: AsyncSession,
) -> None:
    olga, _ = await auth.create_user(any_session, name="olga", role="operator")
    ivan, _ = await auth.create_user(any_session, name="ivan", role="operator")
    sup, _ = await auth.create_user(any_session, name="sveta", role="supervisor")
    waiting = await _case(
        any_session, "olga", [("customer", 90), ("operator", 60), ("customer", 40), ("customer", 1)]
    )
    await _case(any_session, "olga", [("customer", 90), ("operator", 2)])  # answered
    await _case(any_session, "olga", [("customer", 5)])  # within the target
    others = await _case(any_session, "ivan", [("customer", 50)])
    any_session.add(
        Promise(
            case_id=others.id or 0,
            customer_id=others.customer_id,
            text="перезвонить",
            due_at=utcnow() - timedelta(hours=1),
            created_by="ivan",
        )
    )
    await any_session.commit()

    mine = await alerts(any_session, user=olga, reply_minutes=15)
    assert [(w.case.id, w.minutes) for w in mine.sla_breaches] == [(waiting.id, 40)]
    assert mine.overdue_promises == [] and mine.count == 1
    his = await alerts(any_session, user=ivan, reply_minutes=15)
    assert [w.case.id for w in his.sla_breaches] == [others.id]
    assert [p.text for p in his.overdue_promises] == ["перезвонить"]
    every = await alerts(any_session, user=sup, reply_minutes=15)
    assert [w.case.id for w in every.sla_breaches] == [others.id, waiting.id]
    assert every.count == 3
