"""``/v1/customers``: import one customer with identities and orders, read them back; an
identity of another customer is 409, an invalid one 422, an unknown customer 404, and only
supervisors and admins may read or import."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_store import store_customer
from core.customers.profile import import_customer
from core.ports import CustomerData
from tests.copilot.conftest import Users

OLGA: dict[str, Any] = {
    "id": "ext-1",
    "name": "Ольга Петренко",
    "tier": "gold",
    "lifetime_value": 48210.5,
    "marketing_consent": True,
    "phones": ["+7 912 000-02-37"],
    "emails": ["Olga@Example.com"],
    "orders": [
        {
            "id": "o-1",
            "number": "100311",
            "status": "shipped",
            "currency": "rub",
            "promised_at": "2026-11-06T00:00:00Z",
            "placed_at": "2026-11-01T08:30:00Z",
            "items": [
                {"name": "Пылесос", "price": 12990},
                {"name": "Фильтр", "quantity": 2, "price": 450},
            ],
        }
    ],
}


async def test_import_then_read_and_import_again(client: httpx.AsyncClient, users: Users) -> None:
    res = await client.post("/v1/customers", json=OLGA, headers=users.supervisor)
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["status"] == "created" and body["tier"] == "gold"
    assert {(i["channel"], i["external_id"]) for i in body["identities"]} == {
        ("crm:api", "ext-1"), ("phone", "+79120000237"), ("email", "olga@example.com"),
    }  # fmt: skip
    assert body["orders"][0]["total"] == 13890.0 and body["orders"][0]["currency"] == "RUB"
    again = await client.post(
        "/v1/customers", json={**OLGA, "phones": ["8 912 000 02 37"]}, headers=users.admin
    )
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    read = await client.get(f"/v1/customers/{body['id']}", headers=users.supervisor)
    assert read.status_code == 200 and len(read.json()["orders"]) == 1


async def test_an_identity_of_another_customer_is_409(
    client: httpx.AsyncClient, users: Users
) -> None:
    await client.post("/v1/customers", json=OLGA, headers=users.supervisor)
    other = {"id": "ext-2", "name": "Oleg", "emails": ["OLGA@example.com"]}
    res = await client.post("/v1/customers", json=other, headers=users.supervisor)
    assert res.status_code == 409 and "belongs to customer" in res.json()["detail"]


async def test_an_invalid_phone_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, users: Users
) -> None:
    res = await client.post(
        "/v1/customers", json={"id": "x", "phones": ["12"]}, headers=users.supervisor
    )
    assert res.status_code == 422 and "not a valid number" in res.json()["detail"]


async def test_unknown_customer_is_404_and_operators_may_not_read(
    client: httpx.AsyncClient, users: Users
) -> None:
    assert (await client.get("/v1/customers/999", headers=users.supervisor)).status_code == 404
    assert (await client.get("/v1/customers/1", headers=users.operator)).status_code == 403
    res = await client.post("/v1/customers", json=OLGA, headers=users.operator)
    assert res.status_code == 403


async def test_conflicts_of_a_sync_are_listed_for_supervisors(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    olga = CustomerData("1", name="Olga", phones=("+7 912 000-02-37",))
    oleg = CustomerData("2", name="Oleg", phones=("8 912 000 02 37",))
    await import_customer(db_session, customer=olga, region="RU")
    await store_customer(db_session, oleg, source="api", region="RU")
    await db_session.commit()
    res = await client.get("/v1/identity-conflicts", headers=users.supervisor)
    assert res.status_code == 200, res.text
    [conflict] = res.json()
    assert (conflict["channel"], conflict["external_id"], conflict["record_id"]) == (
        "phone", "+79120000237", "2",
    )  # fmt: skip
    operator = await client.get("/v1/identity-conflicts", headers=users.operator)
    assert operator.status_code == 403
