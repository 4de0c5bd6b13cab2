"""Incidents over the API: declared by a supervisor (an operator gets 403), bad input refused
with 422 and nothing stored, progress, pause/resume/cancel (409 when it cannot), the report,
and the incident shown on a case the customer wrote about it on."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, ChannelIdentity, Customer, CustomerOrder, Incident, Notice
from tests.copilot.conftest import Users

BODY: dict[str, Any] = {
    "title": "Warehouse flood in Balti",
    "messages": {
        "ru": "Склад в Бельцах затопило, заказы задержатся на 2 дня.",
        "en": "Our Balti warehouse flooded; orders are 2 days late.",
    },
    "segment": {"region": "Balti"},
    "keywords": ["flood", "затоп", "задерж"],
    "compensation": {"type": "promo_code", "amount": 300, "currency": "RUB"},
}


async def _customers(session: AsyncSession, *languages: str) -> list[int]:
    ids = []
    for n, language in enumerate(languages):
        customer = Customer(name=f"C{n}", language=language)
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(
            ChannelIdentity(customer_id=customer.id, channel="telegram", external_id=f"9{n}")
        )
        session.add(
            CustomerOrder(
                customer_id=customer.id,
                source="t",
                external_id=f"x{n}",
                number=f"N{n}",
                delivery_region="Balti",
            )
        )
        ids.append(customer.id)
    await session.commit()
    return ids


async def test_declare_follow_pause_cancel_and_report(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    await _customers(db_session, "ru", "en", "ru")
    assert (
        await client.post("/v1/incidents", headers=users.operator, json=BODY)
    ).status_code == 403

    res = await client.post("/v1/incidents", headers=users.supervisor, json=BODY)
    assert res.status_code == 201, res.text
    made = res.json()
    assert made["affected"] == 3 and made["progress"]["pending"] == 3
    assert made["compensation"] == {"type": "promo_code", "amount": 300.0, "currency": "RUB"}
    iid = made["id"]

    paused = await client.post(f"/v1/incidents/{iid}/pause", headers=users.supervisor)
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    again = await client.post(f"/v1/incidents/{iid}/pause", headers=users.supervisor)
    assert again.status_code == 409
    assert (await client.post(f"/v1/incidents/{iid}/resume", headers=users.supervisor)).json()[
        "status"
    ] == "active"
    cancelled = await client.post(f"/v1/incidents/{iid}/cancel", headers=users.admin)
    assert cancelled.json()["progress"]["cancelled"] == 3

    assert (await client.get("/v1/incidents", headers=users.operator)).status_code == 403
    listed = await client.get("/v1/incidents", headers=users.supervisor)
    assert [i["id"] for i in listed.json()] == [iid]
    report = await client.get(f"/v1/incidents/{iid}/report", headers=users.supervisor)
    assert report.status_code == 200 and report.json()["notified"] == 0
    assert (await client.get("/v1/incidents/999", headers=users.supervisor)).status_code == 404


async def test_bad_input_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    await _customers(db_session, "uk")
    bad = [
        ({**BODY, "segment": {}}, "segment is empty"),
        ({**BODY, "segment": {"csv": "customer_id\n424242\n"}}, "unknown customers: 424242"),
        (
            {**BODY, "segment": {"csv": "phone\n+373 69 999 999\n"}},
            "unknown customers: phone:+37369999999",
        ),
        (BODY, "no text in uk"),
        ({**BODY, "messages": {"de": "Hallo"}}, None),
    ]
    for body, error in bad:
        res = await client.post("/v1/incidents", headers=users.supervisor, json=body)
        assert res.status_code == 422, res.text
        if error:
            assert error in res.json()["detail"]
    for model in (Incident, Notice):
        assert (await db_session.exec(select(func.count()).select_from(model))).one() == 0


async def test_the_case_shows_its_incident(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    [customer_id] = await _customers(db_session, "en")
    made = (await client.post("/v1/incidents", headers=users.supervisor, json=BODY)).json()
    case = Case(customer_id=customer_id, origin_channel="telegram", incident_id=made["id"])
    db_session.add(case)
    await db_session.commit()
    view = (await client.get(f"/v1/cases/{case.id}", headers=users.operator)).json()
    assert view["case"]["incident_id"] == made["id"]
    assert view["incident"]["title"] == BODY["title"]
    assert view["incident"]["compensation"]["amount"] == 300.0
    fragment = await client.get(f"/console/fragments/cases/{case.id}", headers=users.operator)
    assert 'id="case-incident"' in fragment.text and BODY["title"] in fragment.text
    assert "RUB300" in fragment.text or "300" in fragment.text


async def test_a_retried_declaration_with_its_key_notifies_nobody_twice(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    await _customers(db_session, "ru", "en")
    body = {**BODY, "key": "flood-2026-05-10"}
    first = await client.post("/v1/incidents", headers=users.supervisor, json=body)
    again = await client.post("/v1/incidents", headers=users.supervisor, json=body)
    assert first.status_code == 201 and again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert (await db_session.exec(select(func.count()).select_from(Notice))).one() == 2
