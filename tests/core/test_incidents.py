"""Incidents on SQLite and PostgreSQL: the segment query, validation that stores nothing, one
notice per customer queued once into the delivery log (two workers at once too), pause, resume
and cancel, and the report."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from factories import make_customer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.config import Settings
from core.errors import InvalidInput, InvalidTransition
from core.incidents import control, release, report
from core.incidents.declare import IncidentDraft, declare_incident
from core.incidents.segment import Segment, affected_customers, read_csv
from core.models import (
    Case,
    ChannelIdentity,
    Customer,
    CustomerOrder,
    DeliveryStatus,
    Incident,
    IncidentStatus,
    Notice,
    NoticeStatus,
    OutboundDelivery,
    Owner,
)
from core.platform import auth

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
MESSAGES = {
    "en": "Deliveries in Chisinau are late today. We are sorry.",
    "ru": "Доставки в Кишинёве сегодня опаздывают. Простите нас.",
    "ro": "Livrările din Chișinău întârzie azi. Ne pare rău.",
}


def _settings(**kw: Any) -> Settings:
    return Settings(env="test", _env_file=None, **kw)  # type: ignore[call-arg]


async def _customer(
    session: AsyncSession,
    *,
    telegram: str | None = None,
    region: str | None = "Chisinau",
    promised: datetime | None = None,
    sku: str = "SKU-1",
    status: str = "shipping",
    **fields: Any,
) -> Customer:
    customer = await make_customer(session, telegram_id=telegram, **fields)
    assert customer.id is not None
    if region is not None:
        session.add(
            CustomerOrder(
                customer_id=customer.id,
                source="test",
                external_id=f"o-{customer.id}",
                number=f"A-{customer.id:04d}",
                status=status,
                items=[{"sku": sku, "name": "Kettle", "quantity": 1, "price": 10.0}],
                promised_at=promised or NOW,
                delivery_region=region,
            )
        )
        await session.commit()
    return customer


async def _supervisor(session: AsyncSession) -> Any:
    user, _ = await auth.create_user(session, name="sveta", role="supervisor")
    return user


def _draft(segment: Segment, **kw: Any) -> IncidentDraft:
    fields: dict[str, Any] = {"title": "Courier outage Chisinau", "messages": MESSAGES}
    fields.update(kw)
    return IncidentDraft(segment=segment, **fields)


async def _count(session: AsyncSession, model: Any) -> int:
    return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_segment_query(any_session: AsyncSession) -> None:
    s = any_session
    a = await _customer(s, telegram="1", region="Chisinau", promised=NOW)
    b = await _customer(s, telegram="2", region="chisinau", promised=NOW + timedelta(days=3))
    c = await _customer(s, telegram="3", region="Balti", promised=NOW, sku="SKU-2")
    d = await _customer(s, telegram="4", region="Chisinau", status="delivered")
    await _customer(s, telegram="5", region=None)

    assert await affected_customers(s, Segment(region="CHISINAU")) == [a.id, b.id, d.id]
    window = Segment(promised_from=NOW - timedelta(hours=1), promised_to=NOW + timedelta(days=1))
    assert await affected_customers(s, window) == [a.id, c.id, d.id]
    assert await affected_customers(s, Segment(product="sku-2")) == [c.id]
    assert await affected_customers(s, Segment(product="kettle", order_status="Delivered")) == [
        d.id
    ]
    both = Segment(region="Balti", customer_ids=(a.id or 0,), identities=(("telegram", "2"),))
    assert await affected_customers(s, both) == [a.id, b.id, c.id]


def test_csv_reads_ids_and_identities() -> None:
    ids, keys = read_csv(
        "customer_id,phone,email\n7,,\n,+373 69 123 456,\n,,Ana@Mail.md\n", region="MD"
    )
    assert ids == (7,)
    assert keys == (("phone", "+37369123456"), ("email", "ana@mail.md"))
    with pytest.raises(InvalidInput, match="header"):
        read_csv("name\nAna\n", region="MD")


@pytest.mark.parametrize(
    ("segment", "messages", "error"),
    [
        (Segment(), MESSAGES, "segment is empty"),
        (Segment(region="Nowhere"), MESSAGES, "matches no customer"),
        (Segment(customer_ids=(999_999,)), MESSAGES, "unknown customers: 999999"),
        (Segment(identities=(("phone", "+37369000000"),)), MESSAGES, "unknown customers"),
        (Segment(region="Chisinau"), {"en": MESSAGES["en"]}, r"no text in ru \(1 customers\)"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_stored(
    any_session: AsyncSession, segment: Segment, messages: dict[str, str], error: str
) -> None:
    s = any_session
    await _customer(s, telegram="1", language="en")
    await _customer(s, telegram="2", language="ru")
    user = await _supervisor(s)
    with pytest.raises(InvalidInput, match=error):
        await declare_incident(
            s, user=user, draft=_draft(segment, messages=messages), settings=_settings(), now=NOW
        )
    await s.rollback()
    assert (await _count(s, Incident), await _count(s, Notice)) == (0, 0)
    assert await _count(s, OutboundDelivery) == 0


async def test_an_operator_may_not_declare(any_session: AsyncSession) -> None:
    user, _ = await auth.create_user(any_session, name="oleg", role="operator")
    await _customer(any_session, telegram="1")
    with pytest.raises(Exception, match="may not"):
        await declare_incident(
            any_session, user=user, draft=_draft(Segment(region="Chisinau")), settings=_settings()
        )


async def _declared(s: AsyncSession, n: int = 5, **kw: Any) -> Incident:
    for i in range(n):
        await _customer(s, telegram=str(100 + i), language=["en", "ru", "ro"][i % 3])
    await _customer(s, telegram="900", opted_out=True)
    await _customer(s)  # no identity on a channel that can send
    user = await _supervisor(s)
    draft = _draft(Segment(region="Chisinau"), **kw)
    return await declare_incident(s, user=user, draft=draft, settings=_settings(), now=NOW)


async def test_each_customer_gets_one_notice_in_their_language(any_session: AsyncSession) -> None:
    s = any_session
    incident = await _declared(
        s, compensation={"type": "promo_code", "amount": 200, "currency": "MDL"}
    )
    settings = _settings(notice_window=3)
    assert await release.release_due(s, settings=settings, now=NOW) == 3
    assert await release.release_due(s, settings=settings, now=NOW) == 0  # the window is full
    await _settle_all(s, DeliveryStatus.SENT)
    assert await release.release_due(s, settings=settings, now=NOW) == 2
    assert await release.release_due(s, settings=settings, now=NOW) == 0  # nothing left

    rows = (await s.exec(select(OutboundDelivery).order_by(col(OutboundDelivery.id)))).all()
    assert sorted(r.external_id for r in rows) == [str(100 + i) for i in range(5)]
    texts = {r.external_id: r.text for r in rows}
    assert texts["100"].startswith(MESSAGES["en"]) and "200" in texts["100"]
    assert texts["101"].startswith(MESSAGES["ru"]) and "промокод" in texts["101"]
    assert texts["102"].startswith(MESSAGES["ro"])
    assert incident.id is not None
    done = await control.progress(s, incident_id=incident.id)
    assert (done.affected, done.sent, done.sending, done.pending) == (7, 3, 2, 0)
    assert (done.opted_out, done.unreachable) == (1, 1)


async def _settle_all(s: AsyncSession, status: DeliveryStatus) -> None:
    for row in (await s.exec(select(OutboundDelivery))).all():
        if row.status == DeliveryStatus.PENDING:
            row.status = status
            s.add(row)
    await s.commit()


async def test_two_workers_queue_each_notice_once(any_engine: AsyncEngine) -> None:
    sessions = db.session_factory(any_engine)
    async with sessions() as s:
        await _declared(s, n=40)
    settings = _settings(notice_window=1000)

    async def worker() -> int:
        async with sessions() as s:
            return await release.release_due(s, settings=settings, now=NOW)

    counts = await asyncio.gather(*(worker() for _ in range(4)))
    assert sum(counts) == 40
    async with sessions() as s:
        rows = (await s.exec(select(OutboundDelivery))).all()
        notices = (await s.exec(select(Notice).where(Notice.status == NoticeStatus.QUEUED))).all()
    assert len(rows) == 40 and Counter(r.external_id for r in rows).most_common(1)[0][1] == 1
    assert sorted(n.delivery_id or 0 for n in notices) == sorted(r.id or 0 for r in rows)


async def test_pause_withdraws_untried_notices_and_cancel_stops_all(
    any_session: AsyncSession,
) -> None:
    s = any_session
    incident = await _declared(s, n=6)
    assert incident.id is not None
    user = await _supervisor_named(s, "boss")
    settings = _settings(notice_window=4)
    assert await release.release_due(s, settings=settings, now=NOW) == 4
    first = (await s.exec(select(OutboundDelivery).order_by(col(OutboundDelivery.id)))).first()
    assert first is not None
    first.status, first.attempts = DeliveryStatus.SENDING, 1  # a sender is sending it now
    s.add(first)
    await s.commit()

    await control.set_status(s, incident_id=incident.id, user=user, status=IncidentStatus.PAUSED)
    assert await _count(s, OutboundDelivery) == 1  # the one being sent stays
    assert await release.release_due(s, settings=settings, now=NOW) == 0  # paused
    done = await control.progress(s, incident_id=incident.id)
    assert (done.sending, done.pending) == (1, 5)

    await control.set_status(s, incident_id=incident.id, user=user, status=IncidentStatus.ACTIVE)
    assert await release.release_due(s, settings=settings, now=NOW) == 3
    await control.set_status(s, incident_id=incident.id, user=user, status=IncidentStatus.CANCELLED)
    done = await control.progress(s, incident_id=incident.id)
    assert (done.sending, done.pending, done.cancelled) == (1, 0, 5)
    with pytest.raises(InvalidTransition):
        await control.set_status(
            s, incident_id=incident.id, user=user, status=IncidentStatus.ACTIVE
        )


async def _supervisor_named(s: AsyncSession, name: str) -> Any:
    user, _ = await auth.create_user(s, name=name, role="supervisor")
    return user


async def test_report(any_session: AsyncSession) -> None:
    s = any_session
    incident = await _declared(
        s, n=3, compensation={"type": "refund", "amount": 50, "currency": "MDL"}
    )
    assert incident.id is not None
    await release.release_due(s, settings=_settings(), now=NOW)
    rows = (await s.exec(select(OutboundDelivery).order_by(col(OutboundDelivery.id)))).all()
    rows[0].status, rows[1].status = DeliveryStatus.SENT, DeliveryStatus.FAILED
    s.add_all(rows[:2])
    affected = (
        await s.exec(select(ChannelIdentity).where(ChannelIdentity.external_id == "100"))
    ).one()
    s.add(
        Case(
            customer_id=affected.customer_id,
            origin_channel="telegram",
            opened_at=NOW + timedelta(minutes=5),
            incident_id=incident.id,
        )
    )
    other = await _customer(s, telegram="7", region="Balti")
    s.add(
        Case(
            customer_id=other.id or 0,
            origin_channel="telegram",
            opened_at=NOW + timedelta(minutes=9),
            owner=Owner.HUMAN,
        )
    )
    await s.commit()

    got = await report.incident_report(s, incident_id=incident.id, now=NOW + timedelta(hours=1))
    assert (got.notified, got.delivered, got.failed) == (3, 1, 1)
    assert got.affected_contacts == 1 and got.affected_contact_rate == pytest.approx(1 / 5)
    assert got.baseline_contact_rate == 1.0
    assert (got.tagged_cases, got.deflected) == (1, 1)
    assert (got.compensation_value, got.currency) == (50.0, "MDL")
