"""Operators see and write only on cases they may act on (theirs and unassigned ones);
supervisors see every case. On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.copilot.conftest import Users, seed_case


async def test_lists_and_writes_stay_within_the_operators_cases(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    async with any_app.state.session_factory() as session:
        olgas = await seed_case(session, text="Сыр пришёл испорченный", telegram_id="7001")
    assert (
        await any_client.post(f"/v1/cases/{olgas.id}/assign", headers=any_users.operator)
    ).status_code == 200
    offer = {"case_id": olgas.id, "issue_type": "damaged_item", "affected_amount": 500}
    made = await any_client.post("/v1/compensations", headers=any_users.operator, json=offer)
    assert made.status_code == 201
    promise = {"text": "вернём деньги", "due_at": "2030-01-01T10:00:00Z"}
    assert (
        await any_client.post(
            f"/v1/cases/{olgas.id}/promises", headers=any_users.operator, json=promise
        )
    ).status_code == 201

    for path in ("/v1/compensations", "/v1/promises"):
        ivan = await any_client.get(path, headers=any_users.operator2)
        assert ivan.status_code == 200 and ivan.json() == [], path
        for headers in (any_users.operator, any_users.supervisor):
            rows = (await any_client.get(path, headers=headers)).json()
            assert [r["case_id"] for r in rows] == [olgas.id], path

    call = {
        "channel": "phone",
        "identity": {"telegram_id": "7001"},
        "text": "Звонила, ждёт возврат",
        "occurred_at": "2026-03-01T10:00:00Z",
        "case_id": olgas.id,
    }
    refused = await any_client.post("/v1/interactions", headers=any_users.operator2, json=call)
    assert refused.status_code == 403, refused.text
    ok = await any_client.post("/v1/interactions", headers=any_users.operator, json=call)
    assert ok.status_code == 201 and ok.json()["case_id"] == olgas.id
