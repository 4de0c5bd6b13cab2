"""The audit trail covers every change an operator, supervisor or admin can ask the API for.
The mutating operations are enumerated from the app itself, so a new route is covered (or this
test names it) without anyone remembering to add it here."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import AuditEvent, User
from tests.copilot.conftest import Users, seed_case

CHANGES = {"post", "put", "patch", "delete"}
CUSTOMER_FACING = {
    "POST /v1/ask",  # anyone may ask; with a token it is recorded like any other change
    "POST /telegram/webhook",  # Telegram, signed by its secret header
    "POST /chat/session",  # the web chat's visitors
    "POST /chat/messages",
    "POST /chat/pick",
}


def _mutating(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in CHANGES
    ]


async def _user_id(session: AsyncSession, name: str) -> int:
    user = (await session.exec(select(User).where(User.name == name))).one()
    assert user.id is not None
    return user.id


async def test_every_change_an_operator_can_ask_for_is_in_the_audit_trail(
    app: FastAPI, client: httpx.AsyncClient, users: Users, db_session: AsyncSession
) -> None:
    await seed_case(db_session, text="Где мой заказ?")
    operations = _mutating(app)
    assert len(operations) > 20
    staff = [(m, p) for m, p in operations if f"{m} {p}" not in CUSTOMER_FACING]
    responses = {}
    for method, path in staff:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        responses[(method, path)] = await client.request(
            method, concrete, headers=users.admin, json={}
        )
    admin = await _user_id(db_session, "root")
    trail = (await db_session.exec(select(AuditEvent).order_by(col(AuditEvent.id)))).all()
    recorded = {e.action: e for e in trail}
    missing = [f"{m} {p}" for m, p in staff if f"{m} {p}" not in recorded]
    assert not missing, f"changes missing from the audit trail: {missing}"
    for (method, path), response in responses.items():
        event = recorded[f"{method} {path}"]
        assert (event.user_id, event.status) == (admin, response.status_code)
        assert event.path == re.sub(r"\{[^}]+\}", "1", path)
        assert event.request_id == response.headers["x-request-id"]


async def test_an_operators_note_is_recorded_and_only_supervisors_read_the_trail(
    client: httpx.AsyncClient, users: Users, db_session: AsyncSession
) -> None:
    case = await seed_case(db_session, text="Где мой заказ?", owner="bot")
    note = await client.post(
        f"/v1/cases/{case.id}/notes", headers=users.operator, json={"text": "called back"}
    )
    anonymous = await client.post("/v1/ask", json={"text": "Where is my order?"})
    assert note.status_code == 201 and anonymous.status_code == 200
    assert (await client.get("/v1/audit", headers=users.operator)).status_code == 403
    listed = await client.get("/v1/audit", headers=users.supervisor)
    assert listed.status_code == 200
    olga = await _user_id(db_session, "olga")
    assert [(e["action"], e["user_id"], e["status"]) for e in listed.json()] == [
        ("POST /v1/cases/{case_id}/notes", olga, 201)
    ]
    mine = await client.get(f"/v1/audit?user_id={olga + 100}", headers=users.supervisor)
    assert mine.json() == []
