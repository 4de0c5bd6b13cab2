"""The amoCRM connector against amoCRM-shaped answers (HAL JSON, ``_links.next``, 204 for an
empty list) served by respx: paging, statuses by name, 429, 5xx, a malformed record and an
expired token, through the real sync."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_sync import sync_source, sync_state
from core.errors import ConfigError
from core.models import ChannelIdentity, Customer, CustomerOrder
from crm_adapters.amocrm import AmoCrmConnector
from crm_adapters.http import CrmHttp

BASE = "https://example.amocrm.ru"


def field(code: str | None, name: str, *values: Any) -> dict[str, Any]:
    return {"field_id": 100, "field_name": name, "field_code": code, "field_type": "text",
            "values": [{"value": v, "enum_code": "WORK"} for v in values]}  # fmt: skip


CONTACTS = [
    {"id": 403181, "name": "Иван Иванов", "updated_at": 1762000000, "created_at": 1761000000,
     "custom_fields_values": [field("PHONE", "Телефон", "8 (912) 000-02-37"),
                              field("EMAIL", "Email", "Ivan@Example.ru"),
                              field(None, "tier", "gold")]},
    {"id": 403182, "name": "Анна", "updated_at": 1762000100, "custom_fields_values": None},
    {"id": 403183, "name": "Пётр", "updated_at": 1762000200,
     "custom_fields_values": [field(None, "telegram_id", "555")]},
]  # fmt: skip
LEADS = [
    {"id": 7001, "name": "Заказ 100311", "price": 12990, "status_id": 142, "pipeline_id": 1,
     "created_at": 1761990000, "updated_at": 1762001000,
     "custom_fields_values": [field(None, "order_number", "100311"),
                              field(None, "promised_delivery_date", 1762400000),
                              field(None, "currency", "RUB")],
     "_embedded": {"contacts": [{"id": 403181, "is_main": True}]}},
    {"id": 7002, "name": "No contact", "price": 10, "status_id": 142, "updated_at": 1762001100,
     "_embedded": {"contacts": []}},
]  # fmt: skip
STATUSES = [{"id": 142, "name": "Успешно реализовано"}, {"id": 143, "name": "Закрыто"}]
PIPELINES = {
    "_embedded": {"pipelines": [{"id": 1, "name": "Main", "_embedded": {"statuses": STATUSES}}]}
}


def hal(entity: str, request: httpx.Request, rows: list[Any]) -> httpx.Response:
    params = request.url.params
    start = int(params.get("filter[updated_at][from]", 0))
    rows = [r for r in rows if r["updated_at"] >= start]
    limit, number = int(params["limit"]), int(params["page"])
    chunk = rows[(number - 1) * limit : number * limit]
    if not chunk:
        return httpx.Response(204)
    links: dict[str, Any] = {"self": {"href": f"{BASE}/api/v4/{entity}?page={number}"}}
    if number * limit < len(rows):
        links["next"] = {"href": f"{BASE}/api/v4/{entity}?page={number + 1}"}
    body = {"_page": number, "_links": links, "_embedded": {entity: chunk}}
    return httpx.Response(200, json=body, headers={"Content-Type": "application/hal+json"})


@pytest.fixture
def amocrm() -> Iterator[respx.MockRouter]:
    data = copy.deepcopy({"contacts": CONTACTS, "leads": LEADS})
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.get("/api/v4/contacts", name="contacts").mock(
            side_effect=lambda r: hal("contacts", r, data["contacts"])
        )
        router.get("/api/v4/leads", name="leads").mock(
            side_effect=lambda r: hal("leads", r, data["leads"])
        )
        router.get("/api/v4/leads/pipelines").respond(200, json=PIPELINES)
        router.data = data  # type: ignore[attr-defined]
        yield router


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connector(sleeps: Sleeps | None = None) -> AmoCrmConnector:
    http = CrmHttp(
        name="amoCRM",
        base_url=BASE,
        token="long-lived",
        token_setting="CXC_AMOCRM_TOKEN",
        attempts=3,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )
    return AmoCrmConnector(http, page_size=2)


async def test_contacts_and_leads_are_paged_and_mapped(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert (report.created, report.errors) == (4, [])
    ivan = (
        await any_session.exec(
            select(Customer)
            .join(ChannelIdentity, ChannelIdentity.customer_id == Customer.id)  # type: ignore[arg-type]
            .where(ChannelIdentity.external_id == "+79120000237")
        )
    ).one()
    assert (ivan.name, ivan.tier) == ("Иван Иванов", "gold")
    order = (await any_session.exec(select(CustomerOrder))).one()
    assert (order.customer_id, order.number, order.status, order.total, order.currency) == (
        ivan.id, "100311", "Успешно реализовано", 12990.0, "RUB",
    )  # fmt: skip
    assert order.promised_at is not None and order.promised_at.year == 2025


async def test_the_next_sync_starts_a_second_before_the_cursor(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    await sync_source(any_session, connector=connector(), region="RU")
    before = len(amocrm.calls)
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert (report.created, report.updated) == (0, 0)
    first = amocrm.calls[before].request.url.params
    assert first["filter[updated_at][from]"] == str(1762000200 - 1)


async def test_429_then_5xx_are_retried(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    amocrm.routes["contacts"].side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(504),
        httpx.Response(204),
    ]
    sleeps = Sleeps()
    report = await sync_source(any_session, connector=connector(sleeps), region="RU")
    assert sleeps == [1.0, 2.0] and report.created == 1  # no contacts; the lead, stored


async def test_a_malformed_lead_is_named_and_the_cursor_kept(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    amocrm.data["leads"][0]["price"] = "much"  # type: ignore[attr-defined]
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == ["amocrm lead 7001: price 'much' is not a number"]
    state = await sync_state(any_session, source="amocrm")
    assert state is not None and state.cursor is not None and '"orders"' not in state.cursor


async def test_an_expired_token_stops_the_sync(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    amocrm.routes["contacts"].side_effect = [
        httpx.Response(401, json={"title": "Unauthorized", "status": 401}),
    ]
    with pytest.raises(ConfigError, match="renew CXC_AMOCRM_TOKEN"):
        await sync_source(any_session, connector=connector(), region="RU")


async def test_customer_history_finds_the_leads_of_this_customer(amocrm: respx.MockRouter) -> None:
    amocrm.routes["contacts"].side_effect = [
        httpx.Response(200, json={"_embedded": {"contacts": [CONTACTS[0]]}})
    ]
    amocrm.routes["leads"].side_effect = [httpx.Response(200, json={"_embedded": {"leads": LEADS}})]
    records = await connector().customer_history([("phone", "+79120000237")])
    assert [(r.kind, r.external_id, r.data["status"]) for r in records] == [
        ("order", "100311", "Успешно реализовано")
    ]
    assert amocrm.routes["contacts"].calls[0].request.url.params["query"] == "+79120000237"


async def test_each_next_list_starts_from_the_newest_time_stored(
    amocrm: respx.MockRouter, any_session: AsyncSession
) -> None:
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == [] and report.created == 4
    calls = [c.request.url.params for c in amocrm.routes["contacts"].calls]
    assert [(c.get("filter[updated_at][from]"), c["page"]) for c in calls] == [
        (None, "1"),
        (str(1762000100 - 1), "1"),  # from Анна's second, not page 2
    ]
