"""Late orders get one apology each, with the policy's compensation; an overdue promise alerts
its operator and the supervisors at once and, past the grace period, tells the customer once.
Each customer's notice names only their own order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from factories import make_case, make_customer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import promises
from core.config import Settings
from core.incidents import release
from core.late.orders import apologise_late_orders
from core.late.promises import tell_late_promises
from core.models import (
    CaseEvent,
    CustomerOrder,
    Message,
    Notice,
    NoticeKind,
    NoticeStatus,
    OutboundDelivery,
)
from core.platform import auth

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)


def _settings(**kw: Any) -> Settings:
    return Settings(env="test", _env_file=None, **kw)  # type: ignore[call-arg]


async def _order(s: AsyncSession, customer_id: int, number: str, **kw: Any) -> CustomerOrder:
    fields: dict[str, Any] = {
        "customer_id": customer_id,
        "source": "test",
        "external_id": number,
        "number": number,
        "status": "shipping",
        "total": 3000.0,
        "currency": "RUB",
        "promised_at": NOW - timedelta(hours=5),
    }
    fields.update(kw)
    order = CustomerOrder(**fields)
    s.add(order)
    await s.commit()
    return order


async def test_a_late_order_gets_one_apology_with_the_policys_compensation(
    any_session: AsyncSession,
) -> None:
    s, settings = any_session, _settings()
    ana = await make_customer(s, telegram_id="11", language="ru")
    bob = await make_customer(s, telegram_id="12", language="en")
    quiet = await make_customer(s, telegram_id="13", opted_out=True)
    assert ana.id and bob.id and quiet.id
    await _order(s, ana.id, "A-100")
    await _order(s, bob.id, "B-200", total=500.0)
    await _order(s, quiet.id, "C-300")
    await _order(s, ana.id, "A-101", delivered_at=NOW - timedelta(hours=6))  # delivered
    await _order(s, ana.id, "A-102", promised_at=NOW - timedelta(minutes=30))  # within grace
    await _order(s, ana.id, "A-103", status="cancelled")
    await _order(s, ana.id, "A-104", promised_at=NOW - timedelta(days=60))  # old data

    assert await apologise_late_orders(s, settings=settings, now=NOW) == 3
    assert await apologise_late_orders(s, settings=settings, now=NOW + timedelta(hours=1)) == 0
    assert await release.release_due(s, settings=settings, now=NOW) == 2
    sent = {d.external_id: d.text for d in (await s.exec(select(OutboundDelivery))).all()}
    assert set(sent) == {"11", "12"}
    assert "A-100" in sent["11"] and "B-200" not in sent["11"] and "промокод" in sent["11"]
    assert "300" in sent["11"]  # 10% of 3,000, as the bundled policy gives for a late delivery
    assert "B-200" in sent["12"] and "A-100" not in sent["12"]
    [opted] = (await s.exec(select(Notice).where(Notice.customer_id == quiet.id))).all()
    assert opted.status == NoticeStatus.OPTED_OUT


async def test_an_overdue_promise_alerts_at_once_and_tells_the_customer_after_the_grace(
    any_session: AsyncSession,
) -> None:
    s, settings = any_session, _settings(promise_notice_grace_h=24)
    customer = await make_customer(s, telegram_id="21", language="uk")
    case = await make_case(s, customer_id=customer.id)
    assert case.id is not None
    user, _ = await auth.create_user(s, name="olga", role="operator")
    promise = await promises.make_promise(
        s, case_id=case.id, user=user, text="refund 500", due_at=NOW - timedelta(hours=1)
    )

    assert [p.id for p in await promises.flag_overdue(s, now=NOW)] == [promise.id]
    alerts = (await s.exec(select(Message).where(Message.event == CaseEvent.PROMISE_OVERDUE))).all()
    assert len(alerts) == 1 and "olga" in alerts[0].text
    assert await tell_late_promises(s, settings=settings, now=NOW) == 0  # within the grace
    later = NOW + timedelta(hours=24)
    assert await tell_late_promises(s, settings=settings, now=later) == 1
    assert await tell_late_promises(s, settings=settings, now=later + timedelta(hours=5)) == 0
    [notice] = (await s.exec(select(Notice))).all()
    assert notice.kind == NoticeKind.LATE_PROMISE and notice.external_id == "21"
    assert "refund 500" in notice.text and f"#{case.id}" in notice.text
    assert "запізн" in notice.text  # Ukrainian


async def test_the_worker_pass_apologises_and_queues_once(any_engine: Any) -> None:
    from core import db
    from core.worker import run_worker_once

    sessions = db.session_factory(any_engine)
    async with sessions() as s:
        customer = await make_customer(s, telegram_id="31", language="ro")
        await _order(s, customer.id or 0, "R-1")
    settings = _settings()
    done = await run_worker_once(sessions, settings=settings, now=NOW)
    again = await run_worker_once(sessions, settings=settings, now=NOW + timedelta(minutes=1))
    assert (done.late_orders, done.notices_queued) == (1, 1)
    assert (again.late_orders, again.notices_queued) == (0, 0)
    async with sessions() as s:
        [delivery] = (await s.exec(select(OutboundDelivery))).all()
    assert delivery.external_id == "31" and "R-1" in delivery.text and "întârzie" in delivery.text
