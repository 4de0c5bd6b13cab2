"""The bot and incidents: an affected customer who writes about an active incident gets its
message (not a FAQ answer) and their case is tagged; an unaffected customer writing the same
words does not get it. The broadcast goes out through the bot's sender once, a 429 and a 5xx
waited out, never twice."""

from __future__ import annotations

from datetime import timedelta

from factories import make_customer
from harness import Harness
from sqlmodel import select

from core.incidents import control, release
from core.incidents.declare import IncidentDraft, declare_incident
from core.incidents.segment import Segment
from core.models import CustomerOrder, DeliveryStatus, OutboundDelivery, ReplyKind
from core.models.base import utcnow
from core.platform import auth

EN = "Our courier partner in Chisinau is down today. Your order will arrive tomorrow."
RU = "У нашего курьера в Кишинёве сегодня сбой. Заказ приедет завтра."


async def _incident_for(harness: Harness, *user_ids: int) -> int:
    async with harness.sessions() as s:
        for user_id in user_ids:
            customer = await make_customer(s, telegram_id=str(user_id), language="en")
            assert customer.id is not None
            s.add(
                CustomerOrder(
                    customer_id=customer.id,
                    source="test",
                    external_id=f"o{user_id}",
                    number=f"N{user_id}",
                    delivery_region="Chisinau",
                )
            )
        await s.commit()
        boss, _ = await auth.create_user(s, name="boss", role="supervisor")
        draft = IncidentDraft(
            title="Courier outage",
            messages={"en": EN, "ru": RU},
            segment=Segment(region="Chisinau"),
            keywords=("courier", "курьер", "order"),
            compensation={"type": "free_delivery"},
        )
        incident = await declare_incident(s, user=boss, draft=draft, settings=harness.settings)
    assert incident.id is not None
    return incident.id


async def test_an_affected_customer_gets_the_incidents_message(harness: Harness) -> None:
    incident_id = await _incident_for(harness, harness.user["id"])
    await harness.say("Where is my order? The courier never came")

    reply = harness.api.sent[-1]["text"]
    assert reply.startswith(EN) and "free delivery" in reply
    case = await harness.case()
    assert case.incident_id == incident_id
    [*_, bot_message] = await harness.timeline(case.id or 0)
    assert bot_message.reply_kind == ReplyKind.INCIDENT


async def test_an_unaffected_customer_does_not_get_it(harness: Harness) -> None:
    await _incident_for(harness, 555)
    await harness.say("Where is my order? The courier never came")
    assert EN not in harness.api.sent[-1]["text"]
    assert (await harness.case()).incident_id is None


async def test_a_paused_incident_still_answers_a_cancelled_one_does_not(harness: Harness) -> None:
    incident_id = await _incident_for(harness, harness.user["id"])
    async with harness.sessions() as s:
        boss, _ = await auth.create_user(s, name="chief", role="admin")
        await control.set_status(s, incident_id=incident_id, user=boss, status="paused")  # type: ignore[arg-type]
    await harness.say("courier?")
    assert harness.api.sent[-1]["text"].startswith(EN)
    async with harness.sessions() as s:
        await control.set_status(s, incident_id=incident_id, user=boss, status="cancelled")  # type: ignore[arg-type]
    await harness.say("courier again?")
    assert not harness.api.sent[-1]["text"].startswith(EN)


async def test_the_broadcast_waits_out_429_and_5xx_and_sends_once(harness: Harness) -> None:
    await _incident_for(harness, 201, 202, 203)
    async with harness.sessions() as s:
        assert await release.release_due(s, settings=harness.settings) == 3
    harness.api.fail_next("sendMessage", status=429, description="Too Many", retry_after=7)
    harness.api.fail_next("sendMessage", status=502, description="Bad Gateway")

    assert await harness.outbound.deliver_queued() == 3
    assert len(harness.api.sent) == 1
    later = utcnow() + timedelta(seconds=30)
    assert await harness.outbound.deliver_queued(now=later) == 2
    assert await harness.outbound.deliver_queued(now=later + timedelta(minutes=5)) == 0
    chats = sorted(str(m["chat_id"]) for m in harness.api.sent)
    assert chats == ["201", "202", "203"]  # each once
    async with harness.sessions() as s:
        rows = (await s.exec(select(OutboundDelivery))).all()
    assert all(r.status == DeliveryStatus.SENT for r in rows)
