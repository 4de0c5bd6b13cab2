"""Retention actions from the churn list over HTTP: a supervisor starts a call task, an offer
within the compensation policy or an early check-in after a first order; the outcome is stored
once (also when requests race) and reported by the churn-risk band the customer was in."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import (
    Compensation,
    CompensationStatus,
    CustomerOrder,
    Pulse,
    PulseKind,
    PulseStatus,
)
from core.models.base import utcnow
from tests.copilot.conftest import Users
from tests.factories import make_case, make_customer


async def _at_risk(session: AsyncSession, low_scores: int) -> int:
    """A customer with ``low_scores`` NPS detractor answers yesterday (3 churn points each)."""
    customer = await make_customer(session)
    assert customer.id is not None
    yesterday = utcnow() - timedelta(days=1)
    for i in range(low_scores):
        session.add(
            Pulse(
                customer_id=customer.id,
                channel="telegram",
                kind=PulseKind.NPS,
                status=PulseStatus.ANSWERED,
                due_at=yesterday,
                sent_at=yesterday,
                answered_at=yesterday,
                nps=2,
                token=f"risk-{customer.id}-{i}",
            )
        )
    await session.commit()
    return customer.id


async def test_actions_and_outcomes_are_reported_by_band(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    high, medium = await _at_risk(db_session, 3), await _at_risk(db_session, 2)
    call = {"customer_id": high, "kind": "call", "note": "ask about the late orders"}
    assert (await client.post("/v1/retention/actions", json=call)).status_code == 401
    refused = await client.post("/v1/retention/actions", json=call, headers=users.operator)
    assert refused.status_code == 403
    res = await client.post("/v1/retention/actions", json=call, headers=users.supervisor)
    assert res.status_code == 201, res.text
    action = res.json()
    assert (action["churn_score"], action["churn_band"], action["outcome"]) == (
        9,
        "high",
        "pending",
    )
    assert action["created_by"] == "sveta" and action["due_at"] is not None
    again = await client.post("/v1/retention/actions", json=call, headers=users.supervisor)
    assert again.status_code == 409  # one open call task per customer

    def outcome(action_id: int, value: str) -> dict[str, object]:
        return {"url": f"/v1/retention/actions/{action_id}/outcome", "json": {"outcome": value}}

    for value, expected in (("contacted", 200), ("accepted", 200), ("churned", 409)):
        res = await client.post(**outcome(action["id"], value), headers=users.supervisor)  # type: ignore[arg-type]
        assert res.status_code == expected, (value, res.text)
    assert res.json()["detail"]
    mid = await client.post(
        "/v1/retention/actions",
        json={"customer_id": medium, "kind": "call"},
        headers=users.supervisor,
    )
    assert mid.json()["churn_band"] == "medium"
    churned = await client.post(**outcome(mid.json()["id"], "churned"), headers=users.supervisor)  # type: ignore[arg-type]
    assert churned.json()["outcome_by"] == "sveta"

    report = await client.get("/v1/reports/retention", headers=users.supervisor)
    rows = {r["band"]: r for r in report.json()}
    assert list(rows) == ["high", "medium", "low", "none"]
    assert (rows["high"]["actions"], rows["high"]["accepted"], rows["high"]["churned"]) == (1, 1, 0)
    assert (rows["medium"]["churned"], rows["medium"]["churn_rate"]) == (1, 1.0)
    assert rows["high"]["churn_rate"] == 0.0 and rows["low"]["churn_rate"] is None
    exported = await client.get("/v1/reports/retention.csv", headers=users.supervisor)
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert table[0]["band"] == "high" and table[0]["accepted"] == "1"
    assert table[1]["churned"] == "1"


async def test_an_offer_stays_within_the_compensation_policy(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    """A supervisor may approve 20000 (core/policy/compensation.yaml) over the offer and what
    the customer got within 90 days."""
    customer_id = await _at_risk(db_session, 1)
    case = await make_case(db_session, customer_id=customer_id)
    db_session.add(
        Compensation(
            case_id=case.id or 0,
            customer_id=customer_id,
            policy_version=1,
            issue_type="late_delivery",
            value=19_000.0,
            status=CompensationStatus.ISSUED,
            created_by="olga",
        )
    )
    await db_session.commit()
    offer = {"customer_id": customer_id, "kind": "offer", "offer_value": 1500}
    res = await client.post("/v1/retention/actions", json=offer, headers=users.supervisor)
    assert res.status_code == 422
    assert "20000" in res.json()["detail"] and "19000" in res.json()["detail"]
    no_value = {"customer_id": customer_id, "kind": "offer"}
    res = await client.post("/v1/retention/actions", json=no_value, headers=users.supervisor)
    assert res.status_code == 422
    res = await client.post(
        "/v1/retention/actions", json={**offer, "offer_value": 600}, headers=users.supervisor
    )
    assert res.status_code == 201, res.text
    assert (res.json()["offer_value"], res.json()["currency"]) == (600.0, "RUB")
    assert res.json()["offer"] == "RUB600"
    assert res.json()["policy_version"] == 1 and res.json()["churn_band"] == "low"
    # the open offer counts too: 19000 + 600 + 600 > 20000 (and one open offer per customer)
    res = await client.post(
        "/v1/retention/actions", json={**offer, "offer_value": 600}, headers=users.supervisor
    )
    assert res.status_code in (409, 422)


async def test_a_check_in_follows_the_first_order(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    customer_id = await _at_risk(db_session, 1)
    check_in = {"customer_id": customer_id, "kind": "check_in"}
    res = await client.post("/v1/retention/actions", json=check_in, headers=users.supervisor)
    assert res.status_code == 422 and "order" in res.json()["detail"]
    now = utcnow()
    for number, placed in (("N-2", now - timedelta(days=1)), ("N-1", now - timedelta(days=2))):
        db_session.add(
            CustomerOrder(
                customer_id=customer_id,
                source="api",
                external_id=number,
                number=number,
                placed_at=placed,
            )
        )
    await db_session.commit()
    res = await client.post("/v1/retention/actions", json=check_in, headers=users.supervisor)
    assert res.status_code == 201, res.text
    first = res.json()
    # due 3 days after the first order (N-1, two days ago): tomorrow
    due = first["due_at"][:10]
    assert due == (now + timedelta(days=1)).date().isoformat()
    assert first["order_id"] is not None


async def test_lists_hold_only_the_customer_asked_for(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    one, other = await _at_risk(db_session, 2), await _at_risk(db_session, 3)
    for customer_id in (one, other):
        res = await client.post(
            "/v1/retention/actions",
            json={"customer_id": customer_id, "kind": "call", "note": f"note for {customer_id}"},
            headers=users.supervisor,
        )
        assert res.status_code == 201
    listed = await client.get(
        "/v1/retention/actions", params={"customer_id": one}, headers=users.supervisor
    )
    assert [a["customer_id"] for a in listed.json()] == [one]
    assert f"note for {other}" not in listed.text
    both = await client.get("/v1/retention/actions?open=true", headers=users.supervisor)
    assert {a["customer_id"] for a in both.json()} == {one, other}
    missing = await client.post(
        "/v1/retention/actions",
        json={"customer_id": 999_999, "kind": "call"},
        headers=users.supervisor,
    )
    assert missing.status_code == 404


async def test_racing_requests_start_one_action_and_end_it_once(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    """On SQLite and PostgreSQL: five parallel call tasks for one customer start one; of an
    "accepted" and a "churned" sent together, one is stored."""
    async with any_app.state.session_factory() as session:
        customer_id = await _at_risk(session, 3)
    call = {"customer_id": customer_id, "kind": "call"}
    started = await asyncio.gather(
        *(
            any_client.post("/v1/retention/actions", json=call, headers=any_users.supervisor)
            for _ in range(5)
        )
    )
    assert sorted(r.status_code for r in started) == [201, 409, 409, 409, 409]
    action_id = next(r.json()["id"] for r in started if r.status_code == 201)
    url = f"/v1/retention/actions/{action_id}/outcome"
    ended = await asyncio.gather(
        *(
            any_client.post(url, json={"outcome": o}, headers=any_users.supervisor)
            for o in ("accepted", "churned")
        )
    )
    assert sorted(r.status_code for r in ended) == [200, 409]
    winner = next(r.json()["outcome"] for r in ended if r.status_code == 200)
    listed = await any_client.get(
        "/v1/retention/actions", params={"customer_id": customer_id}, headers=any_users.supervisor
    )
    assert [a["outcome"] for a in listed.json()] == [winner]
