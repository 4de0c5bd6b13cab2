"""One customer's personal data never reaches another customer's case: the guard finds (and
masks) another customer's values in an outgoing text, whatever the format of a phone number,
but not values this customer shares."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.personal import PersonalValues, personal_values
from core.desk.leak_guard import Guard, guard, leaks
from core.models import ChannelIdentity, Compensation
from tests.factories import make_case, make_customer

OLGA = PersonalValues(
    1, frozenset({"Ольга Петренко", "Ольга", "Петренко", "+79120000237", "A-10452", "SORRY-7KQ2"})
)
PETR = PersonalValues(2, frozenset({"Пётр", "Ольга"}))  # shares a first name with her


def test_the_guard_finds_her_values_in_any_format_and_masks_them() -> None:
    text = "Петренко, ваш промокод sorry-7kq2, перезвоним на 8 (912) 000-02-37."
    assert leaks(text, others=[OLGA], own=PETR) == ["+79120000237", "SORRY-7KQ2", "Петренко"]
    safe = guard(text, others=[OLGA], own=PETR)
    assert leaks(safe, others=[OLGA], own=PETR) == []
    assert "Петренко" not in safe and "7kq2" not in safe and "912" not in safe


def test_values_this_customer_shares_are_not_a_leak() -> None:
    draft = "Здравствуйте, Ольга!\nМы разбираемся с вашим вопросом."
    assert leaks(draft, others=[OLGA], own=PETR) == []
    assert guard(draft, others=[OLGA], own=PETR) == draft


def test_one_guard_finds_each_of_many_customers_values_once_prepared() -> None:
    """A suggestion's texts are checked against every cited customer's values with one
    prepared guard; values that begin alike are each found, and a text of none passes as is."""
    others = [
        PersonalValues(i, frozenset({f"Клиент{i}", f"+7912000{i:04d}", f"ORD-{i}", f"c{i}@x.ru"}))
        for i in range(3, 60)
    ]
    check = Guard(others=[*others, OLGA], own=PETR)
    assert check.leaks("Ваш заказ собран, курьер выехал.") == []
    text = "Заказы ord-5 и ORD-59, пишите C5@X.RU, звоните +7 912 000-00-42, Ольга."
    assert check.leaks(text) == ["+79120000042", "ORD-5", "ORD-59", "c5@x.ru"]
    assert check.leaks(text) == leaks(text, others=[*others, OLGA], own=PETR)
    safe = check.guard(text)
    assert check.leaks(safe) == [] and "Ольга" in safe  # hers too, but his as well


async def test_personal_values_come_from_the_record_identities_and_compensations(
    session: AsyncSession,
) -> None:
    customer = await make_customer(
        session,
        name="Ольга Петренко",
        telegram_id="700100",
        attributes={"orders": [{"id": "A-10452"}], "address": "ул. Ленина, 5"},
    )
    assert customer.id is not None
    session.add(ChannelIdentity(customer_id=customer.id, channel="phone", external_id="+7912"))
    case = await make_case(session, customer_id=customer.id)
    assert case.id is not None
    session.add(
        Compensation(
            case_id=case.id,
            customer_id=customer.id,
            policy_version=1,
            issue_type="wrong_charge",
            items=[{"type": "promo_code", "amount": 500, "value": 500, "code": "SORRY-7KQ2"}],
            created_by="olga",
        )
    )
    await session.commit()
    values = (await personal_values(session, [customer.id]))[customer.id].values
    assert {"Ольга Петренко", "Петренко", "700100", "+7912", "A-10452", "SORRY-7KQ2"} <= values
    assert "ул. Ленина, 5" in values
