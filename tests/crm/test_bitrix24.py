"""The Bitrix24 connector against Bitrix24-shaped answers (``result``, ``next``, ``total``;
errors as ``error``/``error_description``) served by respx at a webhook URL: paging from the
newest time, stage names, QUERY_LIMIT_EXCEEDED (503) retried, a malformed record and a refused
webhook, through the real sync."""

from __future__ import annotations

import copy
import json
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
from crm_adapters import fields as f
from crm_adapters.bitrix24 import Bitrix24Connector
from crm_adapters.http import CrmHttp

WEBHOOK = "https://example.bitrix24.ru/rest/1/k3y5ecr3t"
CONTACTS: list[dict[str, Any]] = [
    {"ID": "11", "NAME": "Иван", "LAST_NAME": "Иванов", "DATE_MODIFY": "2026-11-01T12:00:00+03:00",
     "PHONE": [{"ID": "1", "VALUE_TYPE": "WORK", "VALUE": "8 (912) 000-02-37", "TYPE_ID": "PHONE"}],
     "EMAIL": [{"ID": "2", "VALUE_TYPE": "WORK", "VALUE": "Ivan@Example.ru", "TYPE_ID": "EMAIL"}],
     "UF_CRM_TIER": "gold", "UF_CRM_LIFETIME_VALUE": "150000"},
    {"ID": "12", "NAME": "Анна", "DATE_MODIFY": "2026-11-01T12:05:00+03:00"},
    {"ID": "13", "NAME": "Пётр", "DATE_MODIFY": "2026-11-01T12:10:00+03:00",
     "UF_CRM_TELEGRAM_ID": "555"},
]  # fmt: skip
DEALS: list[dict[str, Any]] = [
    {"ID": "301", "TITLE": "Заказ 100311", "STAGE_ID": "WON", "OPPORTUNITY": "12990.00",
     "CURRENCY_ID": "RUB", "CONTACT_ID": "11", "DATE_CREATE": "2026-10-30T10:00:00+03:00",
     "DATE_MODIFY": "2026-11-02T09:00:00+03:00", "UF_CRM_ORDER_NUMBER": "100311",
     "UF_CRM_PROMISED_DATE": "2026-11-06T00:00:00+03:00"},
    {"ID": "302", "TITLE": "No contact", "STAGE_ID": "NEW", "OPPORTUNITY": "10",
     "CONTACT_ID": None, "DATE_MODIFY": "2026-11-02T09:05:00+03:00"},
]  # fmt: skip
ROWS: list[dict[str, Any]] = [
    {"id": 901, "ownerId": 301, "ownerType": "D", "productId": 77, "productName": "Пылесос",
     "price": 11990, "quantity": 1},
    {"id": 902, "ownerId": 301, "ownerType": "D", "productId": 0, "productName": "Доставка",
     "price": 500, "quantity": 2},
]  # fmt: skip
STAGES = [{"ID": "1", "ENTITY_ID": "DEAL_STAGE", "STATUS_ID": "WON", "NAME": "Сделка успешна"}]


def listing(request: httpx.Request, rows: list[dict[str, Any]]) -> httpx.Response:
    body = json.loads(request.content)
    since = (body.get("filter") or {}).get(">=DATE_MODIFY")
    if since is not None:
        start = f.when(since, "since", "test")
        rows = [r for r in rows if (f.when(r["DATE_MODIFY"], "m", "test") or start) >= start]  # type: ignore[operator]
    offset = int(body.get("start", 0))
    chunk = rows[offset : offset + 2]  # Bitrix24 pages by 50; 2 here
    answer: dict[str, Any] = {"result": chunk, "total": len(rows), "time": {"start": 1.0}}
    if offset + 2 < len(rows):
        answer["next"] = offset + 2
    return httpx.Response(200, json=answer)


def product_rows(request: httpx.Request, rows: list[dict[str, Any]]) -> httpx.Response:
    """crm.item.productrow.list: ``=ownerType`` and ``=ownerId`` (a list) are required."""
    wanted = json.loads(request.content)["filter"]
    assert wanted["=ownerType"] == "D"
    found = [r for r in rows if r["ownerId"] in wanted["=ownerId"]]
    offset = int(json.loads(request.content).get("start", 0))
    answer: dict[str, Any] = {"result": {"productRows": found[offset : offset + 1]},
                              "total": len(found)}  # fmt: skip
    if offset + 1 < len(found):
        answer["next"] = offset + 1  # one row a page here, to page
    return httpx.Response(200, json=answer)


@pytest.fixture
def bitrix() -> Iterator[respx.MockRouter]:
    data: dict[str, list[dict[str, Any]]] = copy.deepcopy(
        {"contacts": CONTACTS, "deals": DEALS, "rows": ROWS}
    )
    with respx.mock(base_url=WEBHOOK, assert_all_called=False) as router:
        router.post("/crm.contact.list.json", name="contacts").mock(
            side_effect=lambda r: listing(r, data["contacts"])
        )
        router.post("/crm.deal.list.json", name="deals").mock(
            side_effect=lambda r: listing(r, data["deals"])
        )
        router.post("/crm.status.list.json").respond(200, json={"result": STAGES, "total": 1})
        router.post("/crm.item.productrow.list.json", name="rows").mock(
            side_effect=lambda r: product_rows(r, data["rows"])
        )
        router.data = data  # type: ignore[attr-defined]
        yield router


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connector(sleeps: Sleeps | None = None) -> Bitrix24Connector:
    http = CrmHttp(
        name="Bitrix24",
        base_url=WEBHOOK,
        token=None,
        token_setting="CXC_BITRIX24_URL",
        attempts=3,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )
    return Bitrix24Connector(http)


async def test_contacts_and_deals_are_paged_from_the_newest_time_and_mapped(
    bitrix: respx.MockRouter, any_session: AsyncSession
) -> None:
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert (report.created, report.errors) == (4, [])
    ivan = (
        await any_session.exec(
            select(Customer)
            .join(ChannelIdentity, ChannelIdentity.customer_id == Customer.id)  # type: ignore[arg-type]
            .where(ChannelIdentity.external_id == "ivan@example.ru")
        )
    ).one()
    assert (ivan.name, ivan.tier, ivan.lifetime_value) == ("Иван Иванов", "gold", 150000.0)
    order = (await any_session.exec(select(CustomerOrder))).one()
    assert (order.customer_id, order.number, order.status, order.total) == (
        ivan.id, "100311", "Сделка успешна", 12990.0,
    )  # fmt: skip
    assert order.items == [
        {"sku": "77", "name": "Пылесос", "quantity": 1.0, "price": 11990.0},
        {"sku": None, "name": "Доставка", "quantity": 2.0, "price": 500.0},
    ]  # the product rows, over two pages
    calls = [json.loads(c.request.content) for c in bitrix.routes["contacts"].calls]
    assert [(c.get("filter"), c["start"]) for c in calls] == [
        (None, 0),
        ({">=DATE_MODIFY": "2026-11-01T09:05:00+00:00"}, 0),  # from Анна's time, not start=2
    ]
    assert "Authorization" not in bitrix.routes["contacts"].calls[0].request.headers


async def test_query_limit_exceeded_is_retried(
    bitrix: respx.MockRouter, any_session: AsyncSession
) -> None:
    limited = {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    bitrix.routes["deals"].side_effect = [
        httpx.Response(503, json=limited),
        httpx.Response(200, json={"result": [], "total": 0}),
    ]
    sleeps = Sleeps()
    report = await sync_source(any_session, connector=connector(sleeps), region="RU")
    assert sleeps == [1.0] and report.errors == [] and report.created == 3


async def test_a_malformed_product_row_is_named(
    bitrix: respx.MockRouter, any_session: AsyncSession
) -> None:
    bitrix.data["rows"][1]["price"] = "дорого"  # type: ignore[attr-defined]
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == ["bitrix24 product row 902: price 'дорого' is not a number"]


async def test_a_malformed_contact_is_named_and_the_cursor_kept(
    bitrix: respx.MockRouter, any_session: AsyncSession
) -> None:
    bitrix.data["contacts"][1]["DATE_MODIFY"] = "вчера"  # type: ignore[attr-defined]
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == ["bitrix24 contact 12: DATE_MODIFY 'вчера' is not a date or time"]
    state = await sync_state(any_session, source="bitrix24")
    assert state is not None and state.cursor is None


async def test_a_refused_webhook_stops_the_sync_naming_the_setting(
    bitrix: respx.MockRouter, any_session: AsyncSession
) -> None:
    bitrix.routes["contacts"].side_effect = [
        httpx.Response(401, json={"error": "INVALID_CREDENTIALS", "error_description": "..."})
    ]
    with pytest.raises(ConfigError, match="renew CXC_BITRIX24_URL"):
        await sync_source(any_session, connector=connector(), region="RU")


async def test_customer_history_finds_the_deals_of_this_customer(
    bitrix: respx.MockRouter,
) -> None:
    bitrix.routes["contacts"].side_effect = [
        httpx.Response(200, json={"result": [{"ID": "11"}], "total": 1})
    ]
    bitrix.routes["deals"].side_effect = [
        httpx.Response(200, json={"result": DEALS[:1], "total": 1})
    ]
    records = await connector().customer_history([("email", "ivan@example.ru")])
    assert [(r.kind, r.external_id, r.data["status"]) for r in records] == [
        ("order", "100311", "Сделка успешна")
    ]
    asked = json.loads(bitrix.routes["deals"].calls[0].request.content)
    assert asked["filter"] == {"CONTACT_ID": ["11"]}
