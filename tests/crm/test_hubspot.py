"""The HubSpot connector against HubSpot-shaped answers served by respx at the HTTP boundary:
search pages with ``after``, associations and line items, 429 with Retry-After, 5xx, timeouts,
a malformed record and a refused token, through the real sync on a real database."""

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
from core.errors import BackendUnavailable, ConfigError
from core.models import CrmCase, Customer, CustomerOrder
from crm_adapters.http import CrmHttp
from crm_adapters.hubspot import HubSpotConnector

BASE = "https://api.hubapi.com"


def contact(hid: str, modified: str, **props: Any) -> dict[str, Any]:
    return {
        "id": hid,
        "properties": {"hs_object_id": hid, "lastmodifieddate": modified, **props},
        "createdAt": "2026-01-05T10:00:00.000Z",
        "updatedAt": modified,
        "archived": False,
    }


def obj(hid: str, modified: str, **props: Any) -> dict[str, Any]:
    return {
        "id": hid,
        "properties": {"hs_object_id": hid, "hs_lastmodifieddate": modified, **props},
        "createdAt": "2026-01-05T10:00:00.000Z",
        "updatedAt": modified,
        "archived": False,
    }


CONTACTS = [
    contact("501", "2026-11-01T09:00:00.000Z", firstname="Olga", lastname="Petrenko",
            email="Olga@Example.com", phone="+7 912 000-02-37", customer_tier="gold",
            lifetime_value="48210.5", hs_email_optout="false"),
    contact("502", "2026-11-02T09:00:00.000Z", firstname="Ion", mobilephone="+40 721 234 567",
            telegram_id="700100200"),
    contact("503", "2026-11-03T09:00:00.000Z", firstname="Petro", email="petro@example.com"),
]  # fmt: skip
DEALS = [
    obj("9001", "2026-11-04T09:00:00.000Z", dealname="Order 100311", order_number="100311",
        dealstage="shipped", amount="12990", deal_currency_code="RUB",
        createdate="2026-11-01T08:30:00.000Z", promised_delivery_date="2026-11-06",
        delivery_region="Екатеринбург"),
]  # fmt: skip
TICKETS = [
    obj("7001", "2026-11-05T09:00:00.000Z", subject="Late delivery", content="Where is it?",
        hs_pipeline_stage="4", hs_resolution="Apologised, 300 points",
        createdate="2026-11-05T08:00:00.000Z"),
]  # fmt: skip


def search_page(results: list[Any], after: str | None, total: int) -> dict[str, Any]:
    page: dict[str, Any] = {"total": total, "results": results}
    if after is not None:
        page["paging"] = {"next": {"after": after, "link": "?after=" + after}}
    return page


def searches(request: httpx.Request, data: dict[str, list[Any]]) -> httpx.Response:
    body = json.loads(request.content)
    kind = request.url.path.split("/")[4]
    rows = data[kind]
    if body.get("filterGroups"):
        since = int(body["filterGroups"][0]["filters"][0]["value"])
        prop = body["filterGroups"][0]["filters"][0]["propertyName"]
        rows = [r for r in rows if _ms(r["properties"][prop]) >= since]
    start = int(body.get("after", 0))
    chunk = rows[start : start + body["limit"]]
    more = str(start + body["limit"]) if start + body["limit"] < len(rows) else None
    return httpx.Response(200, json=search_page(chunk, more, len(rows)))


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def associations(request: httpx.Request) -> httpx.Response:
    tables = {
        ("deals", "contacts"): {"9001": ["501"]},
        ("tickets", "contacts"): {"7001": ["501"]},
        ("deals", "line_items"): {"9001": ["31"]},
        ("contacts", "deals"): {"501": ["9001"]},
        ("contacts", "tickets"): {"501": ["7001"]},
        ("tickets", "emails"): {"7001": ["61", "62"]},
        ("tickets", "notes"): {"7001": ["71"]},
    }
    _, _, _, _, src, dst, *_ = request.url.path.split("/")
    table = tables.get((src, dst), {})
    ids = [i["id"] for i in json.loads(request.content)["inputs"]]
    results = [
        {
            "from": {"id": i},
            "to": [{"toObjectId": int(t), "associationTypes": []} for t in table[i]],
        }
        for i in ids
        if i in table
    ]
    return httpx.Response(200, json={"status": "COMPLETE", "results": results})


LINE_ITEMS = {"status": "COMPLETE", "results": [
    {"id": "31", "properties": {"name": "Vacuum cleaner", "hs_sku": "VC-7", "quantity": "1",
                                "price": "12990"}},
]}  # fmt: skip


EMAILS = {
    "status": "COMPLETE",
    "results": [
        {
            "id": "62",
            "properties": {
                "hs_timestamp": "2026-11-05T10:00:00Z",
                "hs_email_direction": "EMAIL",
                "hs_email_text": "Sorry! 300 points are on your account.",
            },
        },
        {
            "id": "61",
            "properties": {
                "hs_timestamp": "2026-11-05T09:30:00Z",
                "hs_email_direction": "INCOMING_EMAIL",
                "hs_email_text": "Still nothing. Promised on the 6th.",
            },
        },
    ],
}
NOTES = {"status": "COMPLETE", "results": [
    {"id": "71", "properties": {"hs_timestamp": "2026-11-05T09:45:00Z",
                                "hs_note_body": "<p>Courier <b>delayed</b>, offered points</p>"}},
]}  # fmt: skip


@pytest.fixture
def hubspot() -> Iterator[respx.MockRouter]:
    data = copy.deepcopy({"contacts": CONTACTS, "deals": DEALS, "tickets": TICKETS})
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        for kind in data:
            router.post(f"/crm/v3/objects/{kind}/search", name=kind).mock(
                side_effect=lambda r: searches(r, data)
            )
        router.post(path__regex=r"/crm/v4/associations/.*").mock(side_effect=associations)
        router.post("/crm/v3/objects/line_items/batch/read").respond(200, json=LINE_ITEMS)
        router.post("/crm/v3/objects/emails/batch/read").respond(200, json=EMAILS)
        router.post("/crm/v3/objects/notes/batch/read").respond(200, json=NOTES)
        router.data = data  # type: ignore[attr-defined]
        yield router


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def connector(sleeps: Sleeps | None = None, page_size: int = 2) -> HubSpotConnector:
    http = CrmHttp(
        name="HubSpot",
        base_url=BASE,
        token="pat-eu1-test",
        token_setting="CXC_HUBSPOT_TOKEN",
        attempts=3,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )
    return HubSpotConnector(http, page_size=page_size)


async def test_a_full_pull_pages_from_the_newest_time_and_maps_every_kind(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    report = await sync_source(any_session, connector=connector(), region="RU")
    # contacts in two pages of two (the second from 502's time: 502 again, unchanged, and 503),
    # one page of deals, one of tickets
    assert (report.created, report.updated, report.unchanged, report.errors, report.pages) == (
        5,
        0,
        1,
        [],
        4,
    )
    order = (await any_session.exec(select(CustomerOrder))).one()
    assert (order.number, order.status, order.total, order.currency) == (
        "100311", "shipped", 12990.0, "RUB",
    )  # fmt: skip
    assert order.items == [{"sku": "VC-7", "name": "Vacuum cleaner", "quantity": 1.0,
                            "price": 12990.0}]  # fmt: skip
    olga = await any_session.get(Customer, order.customer_id)
    assert olga is not None and (olga.name, olga.tier, olga.lifetime_value) == (
        "Olga Petrenko", "gold", 48210.5,
    )  # fmt: skip
    case = (await any_session.exec(select(CrmCase))).one()
    assert (case.customer_id, case.outcome) == (olga.id, "Apologised, 300 points")
    assert [(m["author"], m["text"]) for m in case.messages] == [
        ("customer", "Where is it?"),
        ("customer", "Still nothing. Promised on the 6th."),
        ("note", "Courier delayed, offered points"),
        ("operator", "Sorry! 300 points are on your account."),
    ]


async def test_the_next_sync_asks_only_for_changes_since_the_cursor(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    await sync_source(any_session, connector=connector(), region="RU")
    hubspot.data["contacts"].append(  # type: ignore[attr-defined]
        contact("504", "2026-11-10T09:00:00.000Z", firstname="New", email="new@example.com")
    )
    before = len(hubspot.calls)
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert (report.created, report.updated) == (1, 0)
    first = json.loads(hubspot.calls[before].request.content)
    assert first["filterGroups"][0]["filters"][0] == {
        "propertyName": "lastmodifieddate",
        "operator": "GTE",
        "value": str(_ms("2026-11-03T09:00:00.000Z")),
    }


async def test_429_waits_for_retry_after(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.routes["contacts"].side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"status": "error"}),
        httpx.Response(200, json=search_page(CONTACTS, None, 3)),
    ]
    sleeps = Sleeps()
    report = await sync_source(any_session, connector=connector(sleeps, 100), region="RU")
    assert sleeps == [7.0] and report.created == 5


async def test_5xx_is_retried_with_backoff(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.routes["deals"].side_effect = [
        httpx.Response(502),
        httpx.Response(503),
        httpx.Response(200, json=search_page(DEALS, None, 1)),
    ]
    sleeps = Sleeps()
    report = await sync_source(any_session, connector=connector(sleeps, 100), region="RU")
    assert sleeps == [1.0, 2.0] and report.errors == [] and report.created == 5


async def test_a_timeout_that_lasts_fails_and_keeps_the_stored_pages(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.routes["tickets"].side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(BackendUnavailable, match="failed 3 times \\(last: timed out\\)"):
        await sync_source(any_session, connector=connector(), region="RU")
    state = await sync_state(any_session, source="hubspot")
    assert state is not None and state.last_error is not None and "timed out" in state.last_error
    assert state.cursor is not None and '"orders"' in state.cursor and '"cases"' not in state.cursor
    assert len((await any_session.exec(select(CustomerOrder))).all()) == 1


async def test_a_malformed_record_is_named_and_the_cursor_kept(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.data["contacts"][1]["properties"]["lifetime_value"] = "lots"  # type: ignore[attr-defined]
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == ["hubspot contact 502: lifetime_value 'lots' is not a number"]
    assert report.cursor is None and report.created == 1  # 501 stored; its page's cursor not
    state = await sync_state(any_session, source="hubspot")
    assert state is not None and state.cursor is None and "502" in (state.last_error or "")


async def test_a_search_answer_without_results_is_refused(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.routes["contacts"].side_effect = [httpx.Response(200, json={"status": "weird"})]
    with pytest.raises(BackendUnavailable, match="contacts search: the answer has no list"):
        await sync_source(any_session, connector=connector(), region="RU")


async def test_an_expired_token_is_a_config_error_naming_the_setting(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    hubspot.routes["contacts"].side_effect = [httpx.Response(
        401, json={"status": "error", "message": "Authentication credentials not found.",
                   "category": "INVALID_AUTHENTICATION"},
    )]  # fmt: skip
    with pytest.raises(ConfigError, match="renew CXC_HUBSPOT_TOKEN"):
        await sync_source(any_session, connector=connector(), region="RU")
    assert hubspot.calls.call_count == 1  # never retried


async def test_customer_history_asks_for_this_customer_only(hubspot: respx.MockRouter) -> None:
    hubspot.routes["contacts"].side_effect = [
        httpx.Response(200, json=search_page([CONTACTS[0]], None, 1))
    ]
    hubspot.post("/crm/v3/objects/deals/batch/read").respond(200, json={"results": DEALS})
    hubspot.post("/crm/v3/objects/tickets/batch/read").respond(200, json={"results": TICKETS})
    records = await connector().customer_history([("email", "olga@example.com")])
    assert [(r.kind, r.external_id) for r in records] == [("order", "100311"), ("case", "7001")]
    search = json.loads(hubspot.calls[0].request.content)
    assert search["filterGroups"] == [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": "olga@example.com"}]}
    ]


async def test_a_record_changed_during_the_pull_is_not_skipped(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    data = hubspot.data  # type: ignore[attr-defined]
    served: Any = hubspot.routes["contacts"].side_effect

    def then_501_changes(request: httpx.Request) -> httpx.Response:
        response: httpx.Response = served(request)
        if len(hubspot.routes["contacts"].calls) == 0:  # after the first page: 501 moves last
            moved = data["contacts"].pop(0)
            moved["properties"]["lastmodifieddate"] = "2026-11-09T09:00:00.000Z"
            data["contacts"].append(moved)
        return response

    hubspot.routes["contacts"].side_effect = then_501_changes
    await sync_source(any_session, connector=connector(), region="RU")
    assert [c["id"] for c in data["contacts"]] == ["502", "503", "501"]  # it did move
    # an offset (after=2) would now start past 503; searching from 502's time finds it
    assert len((await any_session.exec(select(Customer))).all()) == 3


async def test_records_of_one_instant_are_paged_with_after(
    hubspot: respx.MockRouter, any_session: AsyncSession
) -> None:
    for row in hubspot.data["contacts"]:  # type: ignore[attr-defined]
        row["properties"]["lastmodifieddate"] = "2026-11-01T09:00:00.000Z"
    report = await sync_source(any_session, connector=connector(), region="RU")
    assert report.errors == [] and report.created == 5
    contacts = [json.loads(c.request.content) for c in hubspot.routes["contacts"].calls]
    assert [c.get("after") for c in contacts] == [None, None, "2"]
    assert contacts[2]["filterGroups"] == contacts[1]["filterGroups"]
