"""The web chat: a visitor gets a signed token, talks to the bot, is handed to a person whose
reply reaches the page by polling, exactly once per cursor; a forged token reads nothing; the
chat is off without a secret."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from copilot.main import create_app
from core.config import Settings
from tests.copilot.conftest import Users, _users


@pytest.fixture
async def chat_app(tmp_path: Path, database_url: str, kb: Any) -> AsyncIterator[FastAPI]:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        webchat_secret=SecretStr("a-long-web-chat-secret"),
        _env_file=None,
    )
    application = create_app(settings, retriever=kb)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def chat(chat_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=chat_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def chat_users(chat_app: FastAPI) -> Users:
    async with chat_app.state.session_factory() as session:
        return await _users(session)


async def _visitor(chat: httpx.AsyncClient) -> dict[str, str]:
    res = await chat.post("/chat/session")
    assert res.status_code == 200
    return {"X-Chat-Token": res.json()["token"]}


async def test_a_visitor_talks_to_the_bot_then_gets_a_persons_reply_by_polling(
    chat: httpx.AsyncClient, chat_users: Users
) -> None:
    page = await chat.get("/chat")
    assert page.status_code == 200 and 'id="chat-form"' in page.text
    me = await _visitor(chat)

    res = await chat.post("/chat/messages", headers=me, json={"text": "How do I get a refund?"})
    assert res.status_code == 200, res.text
    reply = res.json()
    assert reply["kind"] == "answer" and "3 business days" in reply["text"]

    res = await chat.post("/chat/messages", headers=me, json={"text": "I want to talk to a person"})
    assert res.json()["kind"] == "escalated"
    [case] = (await chat.get("/v1/cases?owner=human", headers=chat_users.operator)).json()
    assert case["origin_channel"] == "web" and case["topic"] == "returns_refunds"

    sent = await chat.post(
        f"/v1/cases/{case['id']}/messages", headers=chat_users.operator, json={"text": "Done!"}
    )
    assert sent.status_code == 201
    news = (await chat.get("/chat/messages?after=0", headers=me)).json()
    assert [n["text"] for n in news] == ["Done!"]
    cursor = news[-1]["id"]
    assert (await chat.get(f"/chat/messages?after={cursor}", headers=me)).json() == []
    view = (await chat.get(f"/v1/cases/{case['id']}", headers=chat_users.operator)).json()
    [operator_reply] = [m for m in view["timeline"] if m["author"] == "operator"]
    assert operator_reply["meta"]["delivery"] == "sent"

    stranger = await _visitor(chat)
    assert (await chat.get("/chat/messages?after=0", headers=stranger)).json() == []
    forged = {"X-Chat-Token": me["X-Chat-Token"][:-2] + "xx"}
    assert (await chat.get("/chat/messages", headers=forged)).status_code == 404
    bad = await chat.post("/chat/messages", headers=forged, json={"text": "hi"})
    assert bad.status_code == 404


async def test_the_chat_is_off_without_a_secret(any_client: httpx.AsyncClient) -> None:
    assert (await any_client.get("/chat")).status_code == 404
    assert (await any_client.post("/chat/session")).status_code == 404
