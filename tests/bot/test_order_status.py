""" "Where is my order?" from a customer the CRM knows: the bot answers with their own latest
order (status, promised date), in their language; never another customer's; a customer with no
stored order gets the FAQ answer."""

from __future__ import annotations

from datetime import UTC, datetime

from harness import Harness

from core.customers.profile import import_customer
from core.models import CaseEvent, ReplyKind
from core.ports import CustomerData, OrderData


def order(ref: str, n: str, status: str, placed: int, promised: int | None = None) -> OrderData:
    return OrderData(
        external_id=f"o-{n}",
        customer_ref=ref,
        number=n,
        status=status,
        total=100.0,
        placed_at=datetime(2026, 11, placed, tzinfo=UTC),
        promised_at=datetime(2026, 11, promised, tzinfo=UTC) if promised else None,
    )


async def known(harness: Harness) -> None:
    async with harness.sessions() as session:
        await import_customer(
            session,
            customer=CustomerData("a", name="Olga Petrenko", phones=("+7 912 000-02-37",),
                                  telegram_ids=("111",)),
            orders=[order("a", "100238", "delivered", 1), order("a", "100311", "в пути", 3, 6)],
            region="RU",
        )  # fmt: skip
        await import_customer(
            session,
            customer=CustomerData("b", name="Ion Rusu", emails=("ion@example.ro",),
                                  telegram_ids=("222",)),
            orders=[order("b", "RO-7781", "processing", 5, 10)],
            region="RU",
        )  # fmt: skip


async def test_a_known_customer_gets_their_own_latest_order(harness: Harness) -> None:
    await known(harness)
    harness.user = harness.updates.user(111, first_name="Ольга", language="ru")
    await harness.say("Где мой заказ?")
    [sent] = harness.api.sent
    assert sent["text"] == "Ваш заказ 100311: в пути. Обещанная дата доставки: 06.11.2026."
    for other in ("RO-7781", "Ion", "Rusu", "ion@example.ro", "100238"):
        assert other not in sent["text"]
    assert [label for label, _ in harness.api.buttons()] == ["Связаться с человеком"]
    timeline = await harness.timeline((await harness.case()).id or 0)
    assert timeline[-1].reply_kind == ReplyKind.ORDER_STATUS


async def test_the_other_customer_gets_theirs(harness: Harness) -> None:
    await known(harness)
    harness.user = harness.updates.user(222, first_name="Ion", language="en")
    await harness.say("where is my order??")
    [sent] = harness.api.sent
    assert sent["text"] == "Your order RO-7781: processing. Promised delivery: 10.11.2026."
    assert "100311" not in sent["text"] and "Olga" not in sent["text"]


async def test_a_customer_without_orders_gets_the_faq_answer_and_is_asked_for_a_phone_once(
    harness: Harness,
) -> None:
    await known(harness)
    harness.user = harness.updates.user(333, first_name="Nobody", language="en")
    await harness.say("Where is my order?")
    answer, ask = harness.api.sent
    assert "Your order" not in answer["text"]
    assert ask["text"].startswith("If you share your phone number, I can find your orders")
    keyboard = ask["reply_markup"]
    assert keyboard["keyboard"] == [[{"text": "Share my phone number", "request_contact": True}]]
    assert keyboard["one_time_keyboard"] is True
    timeline = await harness.timeline((await harness.case()).id or 0)
    assert [m.event for m in timeline if m.event].count(CaseEvent.PHONE_REQUESTED) == 1
    await harness.say("where is my order???")
    assert len(harness.api.sent) == 3  # asked once: the second time only the answer


async def test_a_customer_whose_phone_is_known_is_not_asked(harness: Harness) -> None:
    await known(harness)  # Olga has a phone on record; her orders are found without asking
    harness.user = harness.updates.user(111, first_name="Ольга", language="ru")
    await harness.say("Как оформить возврат? И где мой заказ?")
    assert all("keyboard" not in s.get("reply_markup", {}) for s in harness.api.sent)


async def test_a_shared_own_contact_makes_the_telegram_user_the_crm_customer(
    harness: Harness,
) -> None:
    async with harness.sessions() as session:
        await import_customer(
            session,
            customer=CustomerData("p", name="Petro", phones=("+380 67 123 4567",)),
            orders=[order("p", "UA-44120", "delivered", 2)],
            region="RU",
        )
    harness.user = harness.updates.user(444, first_name="Petro", language="uk")
    await harness.say("Привіт")
    contact = {"phone_number": "380671234567", "first_name": "Petro", "user_id": 444}
    await harness.say(None, contact=contact)
    linked = harness.api.sent[-1]
    assert linked["text"] == (
        "Дякую, я зберіг ваш номер телефону.\n\nВаше замовлення UA-44120: delivered."
    )  # their order at once: no need to ask again
    assert linked["reply_markup"] == {"remove_keyboard": True}
    await harness.say("Де моє замовлення?")
    assert harness.api.sent[-1]["text"].startswith("Ваше замовлення UA-44120: delivered.")


async def test_someone_elses_contact_links_nothing(harness: Harness) -> None:
    await known(harness)
    harness.user = harness.updates.user(555, first_name="Eve", language="en")
    contact = {"phone_number": "79120000237", "first_name": "Olga", "user_id": 111}
    await harness.say(None, contact=contact)
    await harness.say("Where is my order?")
    assert "100311" not in harness.api.sent[-1]["text"]
