"""Promises over the API: recorded on a case, overdue ones listed and shown on the case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.copilot.conftest import Users, seed_case


async def test_promise_lifecycle(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Когда вернут деньги?")
    past = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    res = await client.post(
        f"/v1/cases/{case.id}/promises",
        headers=users.operator,
        json={"text": "Перезвонить сегодня в 10:00", "due_at": past},
    )
    assert res.status_code == 201, res.text
    pid = res.json()["id"]
    assert res.json()["overdue"] is True
    naive = await client.post(
        f"/v1/cases/{case.id}/promises",
        headers=users.operator,
        json={"text": "x", "due_at": "2030-01-01T10:00:00"},
    )
    assert naive.status_code == 422

    overdue = await client.get("/v1/promises", headers=users.supervisor, params={"overdue": True})
    assert [p["id"] for p in overdue.json()] == [pid]
    view = (await client.get(f"/v1/cases/{case.id}", headers=users.operator)).json()
    assert view["promises"][0]["overdue"] is True
    sug = (await client.get(f"/v1/cases/{case.id}/suggestions", headers=users.operator)).json()
    assert sug["context"]["promise_counts"]["overdue"] == 1 and sug["context"]["churn_risk"]

    kept = await client.post(f"/v1/promises/{pid}/kept", headers=users.operator)
    assert kept.status_code == 200 and kept.json()["status"] == "kept"
    again = await client.post(f"/v1/promises/{pid}/broken", headers=users.operator)
    assert again.status_code == 409
    assert (
        await client.post("/v1/promises/999999/kept", headers=users.operator)
    ).status_code == 404
