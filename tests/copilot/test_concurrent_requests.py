"""Requests that race: parallel offers within an operator's limit, approving and issuing once,
resolving a case once. On SQLite and PostgreSQL, through the real app (httpx.ASGITransport,
each request in its own session, sent together with asyncio.gather)."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlmodel import select

from core.models import CompensationAudit
from tests.copilot.conftest import Users, seed_case

DAMAGED = {"issue_type": "damaged_item", "affected_amount": 1500}  # refund 1500 + promo 300


async def _case(app: FastAPI, text: str = "Сыр пришёл испорченный") -> int:
    async with app.state.session_factory() as session:
        case = await seed_case(session, text=text)
    assert case.id is not None
    return case.id


async def test_the_operators_limit_covers_the_cases_total(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    """Three offers of 1,800 one after another: only the first is within a 2,000 limit."""
    case_id = await _case(any_app)
    body = {"case_id": case_id, **DAMAGED}
    got = []
    for _ in range(3):
        res = await any_client.post("/v1/compensations", headers=any_users.operator, json=body)
        assert res.status_code == 201, res.text
        got.append((res.json()["value"], res.json()["status"]))
    assert got == [
        (1800.0, "approved"),
        (1800.0, "pending_approval"),
        (1800.0, "pending_approval"),
    ]
    # a supervisor's limit covers the total as well: 1,800 more is fine under 20,000
    pending = (await any_client.get("/v1/compensations", headers=any_users.supervisor)).json()
    first = next(c["id"] for c in pending if c["status"] == "pending_approval")
    ok = await any_client.post(f"/v1/compensations/{first}/approve", headers=any_users.supervisor)
    assert ok.status_code == 200 and ok.json()["status"] == "approved"


async def test_parallel_offers_stay_within_the_limit(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    case_id = await _case(any_app)
    body = {"case_id": case_id, **DAMAGED}
    responses = await asyncio.gather(
        *(
            any_client.post("/v1/compensations", headers=any_users.operator, json=body)
            for _ in range(10)
        )
    )
    assert [r.status_code for r in responses] == [201] * 10
    approved = [r.json()["value"] for r in responses if r.json()["status"] == "approved"]
    assert approved == [1800.0]


async def test_approve_and_issue_happen_once_in_parallel(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    case_id = await _case(any_app)
    body = {"case_id": case_id, "issue_type": "damaged_item", "affected_amount": 3000}
    comp = (
        await any_client.post("/v1/compensations", headers=any_users.operator, json=body)
    ).json()
    assert comp["status"] == "pending_approval"
    url = f"/v1/compensations/{comp['id']}"
    approvals = await asyncio.gather(
        *(any_client.post(f"{url}/approve", headers=any_users.supervisor) for _ in range(4))
    )
    assert sorted(r.status_code for r in approvals) == [200, 409, 409, 409]
    issues = await asyncio.gather(
        *(any_client.post(f"{url}/issue", headers=any_users.operator) for _ in range(4))
    )
    assert sorted(r.status_code for r in issues) == [200, 409, 409, 409]
    issued = next(r for r in issues if r.status_code == 200).json()
    final = (await any_client.get(url, headers=any_users.supervisor)).json()
    assert final["items"] == issued["items"]  # the codes handed out are the ones stored
    async with any_app.state.session_factory() as session:
        audit = (await session.exec(select(CompensationAudit.action))).all()
    assert sorted(audit) == ["approved", "issued", "offered_pending_approval"]


async def test_resolving_a_case_four_times_at_once_succeeds_once(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    case_id = await _case(any_app, text="Где мой заказ?")
    body = {"resolution": "answered", "resolution_code": "answered"}
    responses = await asyncio.gather(
        *(
            any_client.post(f"/v1/cases/{case_id}/resolve", headers=any_users.operator, json=body)
            for _ in range(4)
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409]
    timeline = await any_client.get(f"/v1/cases/{case_id}", headers=any_users.supervisor)
    events = [m["event"] for m in timeline.json()["timeline"] if m["event"]]
    assert events.count("resolved") == 1
