"""CRM data stays with its customer, on SQLite and PostgreSQL: one customer's name, order,
phone and e-mail from a CRM import never appear in another customer's case view, suggestions or
draft; each customer's own orders do appear on their case, and the compensation offer reads
their own order's value and tier."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.customers.crm_store import store_case
from core.customers.profile import import_customer
from core.ports import CaseData, CustomerData, OrderData
from tests.copilot.conftest import Users, seed_case
from tests.copilot.test_privacy_api import database_url  # noqa: F401  (both backends)

HERS = ("Ольга", "Петренко", "100311", "79120000237", "000-02-37", "olga.petrenko@mail.ru",
        "Пылесос")  # fmt: skip


def order(ref: str, number: str, item: str, price: float) -> OrderData:
    return OrderData(
        external_id=f"o-{number}",
        customer_ref=ref,
        number=number,
        status="delivered",
        items=({"sku": None, "name": item, "quantity": 1, "price": price},),
        currency="RUB",
        placed_at=datetime(2026, 11, 1, tzinfo=UTC),
        promised_at=datetime(2026, 11, 4, tzinfo=UTC),
        delivered_at=datetime(2026, 11, 9, tzinfo=UTC),
    )


async def _two_customers(session: AsyncSession) -> tuple[int, int]:
    hers = await seed_case(
        session, telegram_id="700100", name=None, text="Заказ 100311 опоздал на неделю"
    )
    his = await seed_case(
        session, telegram_id="700200", name=None, text="Заказ опоздал на неделю, задержка"
    )
    await import_customer(
        session,
        customer=CustomerData("olga", name="Ольга Петренко", tier="gold", lifetime_value=90000,
                              phones=("+7 912 000-02-37",), emails=("olga.petrenko@mail.ru",),
                              telegram_ids=("700100",)),
        orders=[order("olga", "100311", "Пылесос", 12990)],
        region="RU",
    )  # fmt: skip
    await store_case(
        session,
        CaseData("k1", "olga", subject="Ольга Петренко: опоздание 100311", outcome="300 баллов"),
        source="api",
    )
    await session.commit()
    await import_customer(
        session,
        customer=CustomerData("petr", name="Пётр Иванов", tier="standard",
                              telegram_ids=("700200",)),
        orders=[order("petr", "200777", "Чайник", 3490)],
        region="RU",
    )  # fmt: skip
    assert hers.id is not None and his.id is not None
    return hers.id, his.id


async def test_crm_data_never_crosses_customers(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    hers, his = await _two_customers(db_session)
    view = await client.get(f"/v1/cases/{his}", headers=users.supervisor)
    assert view.status_code == 200, view.text
    assert [o["id"] for o in view.json()["orders"]] == ["200777"]
    suggestions = await client.get(f"/v1/cases/{his}/suggestions", headers=users.supervisor)
    assert suggestions.status_code == 200, suggestions.text
    console = await client.get(f"/console/fragments/cases/{his}", headers=users.supervisor)
    for shown in (view.text, suggestions.text, console.text):
        assert [v for v in HERS if v in shown] == []
    assert "Пётр" in suggestions.json()["draft"]
    own = await client.get(f"/v1/cases/{hers}", headers=users.supervisor)
    assert [o["id"] for o in own.json()["orders"]] == ["100311"]
    assert [r["title"] for r in own.json()["crm_records"]] == ["Ольга Петренко: опоздание 100311"]


async def test_the_compensation_offer_reads_the_customers_own_order_and_tier(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    hers, his = await _two_customers(db_session)
    offers = {}
    for case_id in (his, hers):
        res = await client.get(f"/v1/cases/{case_id}/suggestions", headers=users.supervisor)
        offers[case_id] = res.json()["compensation"]
        assert offers[case_id] is not None, res.text
    # late delivery: 10% of the order's value, rounded to 50; gold tier x1.2, at most 1500
    assert (offers[his]["value"], offers[hers]["value"]) == (350.0, 1500.0)
    # the reason in the customers' language (they write in Russian)
    assert "в заказе 200777" in offers[his]["reason"] and "gold" not in offers[his]["reason"]
    assert "в заказе 100311" in offers[hers]["reason"]
    assert "клиент уровня gold" in offers[hers]["reason"]


async def test_past_cases_are_the_customers_own_and_similar_cases_carry_no_one_elses_data(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    """The case memory: her CRM case and her resolved case are the nearest to his message, yet
    his suggestions list only his own past case, and her resolved case is cited by its code."""
    hers, his = await _two_customers(db_session)
    await store_case(
        db_session,
        CaseData("k2", "petr", subject="Чайник пришёл с опозданием", outcome="извинились"),
        source="api",
    )
    await db_session.commit()
    await lifecycle.resolve(
        db_session,
        case_id=hers,
        resolution="Ольга Петренко получила 300 баллов за 100311",
        code="late_points",
        now=datetime.now(UTC),
    )
    res = await client.get(f"/v1/cases/{his}/suggestions", headers=users.supervisor)
    assert res.status_code == 200, res.text
    body = res.json()
    assert [(p["kind"], p["title"]) for p in body["context"]["past_cases"]] == [
        ("crm", "Чайник пришёл с опозданием")
    ]
    assert [r["code"] for r in body["resolutions"] if r["kind"] == "cases"] == ["late_points"]
    assert [v for v in HERS if v in res.text] == []
    console = await client.get(f"/console/fragments/cases/{his}/suggestions",
                               headers=users.supervisor)  # fmt: skip
    assert "Чайник пришёл с опозданием" in console.text
    assert [v for v in HERS if v in console.text] == []
