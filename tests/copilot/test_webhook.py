"""POST /telegram/webhook: Telegram's secret header checked, the update queued once, 200 fast."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import event
from sqlmodel import select

from copilot.main import create_app
from core.config import Settings
from core.models import InboundUpdate, UpdateStatus

SECRET = "s3cr3t-webhook-token"
UPDATE = {
    "update_id": 900001,
    "message": {
        "message_id": 5,
        "date": 1767225600,
        "chat": {"id": 77, "type": "private", "first_name": "Ana"},
        "from": {"id": 77, "is_bot": False, "first_name": "Ana", "language_code": "ro"},
        "text": "Unde este comanda mea?",
    },
}


@pytest.fixture
async def hook(app_settings: Settings, kb: Any) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    settings = app_settings.model_copy(update={"telegram_webhook_secret": SecretStr(SECRET)})
    app = create_app(settings, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client, app


async def _queued(app: Any) -> list[InboundUpdate]:
    async with app.state.session_factory() as s:
        return list((await s.exec(select(InboundUpdate))).all())


async def test_update_is_queued_once(hook: tuple[httpx.AsyncClient, Any]) -> None:
    client, app = hook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    first = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
    retry = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert first.json() == {"ok": True, "queued": True}
    assert retry.json() == {"ok": True, "queued": False}
    [row] = await _queued(app)
    assert (row.update_id, row.status) == (900001, UpdateStatus.PENDING)
    assert row.payload["message"]["text"] == "Unde este comanda mea?"


@pytest.mark.parametrize("header", [None, "wrong"])
async def test_wrong_secret_is_refused_and_nothing_queued(
    hook: tuple[httpx.AsyncClient, Any], header: str | None
) -> None:
    client, app = hook
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header else {}
    response = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
    assert response.status_code == 403
    assert await _queued(app) == []


async def test_malformed_update_is_422(hook: tuple[httpx.AsyncClient, Any]) -> None:
    client, _app = hook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    response = await client.post("/telegram/webhook", json={"message": {}}, headers=headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "update_id"]


async def test_webhook_is_off_without_a_secret(client: httpx.AsyncClient) -> None:
    response = await client.post("/telegram/webhook", json=UPDATE)
    assert response.status_code == 404


async def test_an_update_is_queued_with_one_statement(hook: tuple[httpx.AsyncClient, Any]) -> None:
    """The webhook's write holds the database's write lock as briefly as it can (SQLite has one
    writer for every process): one INSERT … ON CONFLICT DO NOTHING, no read before it."""
    client, app = hook
    engine = app.state.session_factory.kw["bind"].sync_engine
    seen: list[str] = []

    def record(conn: object, cursor: object, sql: str, *args: object) -> None:
        seen.append(" ".join(sql.split()).upper())

    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    event.listen(engine, "before_cursor_execute", record)
    try:
        first = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
        again = await client.post("/telegram/webhook", json=UPDATE, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert (first.json()["queued"], again.json()["queued"]) == (True, False)
    writes = [sql for sql in seen if not sql.startswith("SELECT 1")]  # the pool's pre-ping
    assert len(writes) == 2, writes
    assert all(sql.startswith("INSERT INTO INBOUND_UPDATE") for sql in writes), writes
    assert all("ON CONFLICT" in sql for sql in writes), writes
