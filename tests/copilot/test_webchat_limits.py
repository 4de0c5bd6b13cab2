"""Per-caller limits without a token: web chat messages and picks per visitor
(CXC_RATE_LIMIT_WEBCHAT) and POST /v1/ask per client address (CXC_RATE_LIMIT_ASK). Over the
limit the request is refused with 429 and Retry-After in the one error shape, nothing of it is
stored, the visitor is told in their language how long to wait, and other callers go on. With
Redis two instances share the count."""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlmodel import col, select

from copilot.main import create_app
from core.config import Settings
from core.i18n import text
from core.models import Message

REDIS_URL = os.environ.get("CXC_TEST_REDIS_URL")


def _settings(tmp_path: Path, database_url: str, **update: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        webchat_secret=SecretStr("a-long-web-chat-secret"),
        _env_file=None,
        **update,
    )


def _client(app: FastAPI, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
async def limited(tmp_path: Path, database_url: str, kb: Any) -> AsyncIterator[FastAPI]:
    settings = _settings(
        tmp_path, database_url, rate_limit_webchat="3/minute", rate_limit_ask="2/minute"
    )
    application = create_app(settings, retriever=kb)
    async with application.router.lifespan_context(application):
        yield application


async def _visitor(chat: httpx.AsyncClient) -> dict[str, str]:
    res = await chat.post("/chat/session")
    assert res.status_code == 200
    return {"X-Chat-Token": res.json()["token"]}


async def _stored(app: FastAPI, words: str) -> int:
    async with app.state.session_factory() as session:
        rows = await session.exec(select(Message).where(col(Message.text) == words))
        return len(rows.all())


async def test_a_visitor_over_the_limit_is_refused_and_told_another_visitor_goes_on(
    limited: FastAPI,
) -> None:
    async with _client(limited) as chat:
        me, other = await _visitor(chat), await _visitor(chat)
        said = [
            await chat.post("/chat/messages", headers=me, json={"text": f"Hello {n}"})
            for n in range(3)
        ]
        refused = await chat.post(
            "/chat/messages", headers=me, json={"text": "One too many", "language": "en"}
        )
        picked = await chat.post("/chat/pick", headers=me, json={"message_id": 1, "index": 0})
        theirs = await chat.post("/chat/messages", headers=other, json={"text": "Hello"})
    assert [r.status_code for r in said] == [200, 200, 200]
    assert refused.status_code == 429
    seconds = int(refused.headers["retry-after"])
    assert 1 <= seconds <= 60
    assert refused.json() == {
        "detail": text("en", "bot.slow_down", seconds=seconds),
        "error": "RateLimited",
    }
    assert "wait" in refused.json()["detail"] and str(seconds) in refused.json()["detail"]
    assert picked.status_code == 429  # a pick counts like a message
    assert theirs.status_code == 200
    assert await _stored(limited, "Hello 2") == 1
    assert await _stored(limited, "One too many") == 0  # refused, not taken silently


async def test_the_visitor_is_told_in_their_language(limited: FastAPI) -> None:
    async with _client(limited) as chat:
        ru, en = await _visitor(chat), await _visitor(chat)
        for _ in range(3):
            await chat.post("/chat/messages", headers=ru, json={"text": "Привет"})
            await chat.post("/chat/messages", headers=en, json={"text": "Hi", "language": "en"})
        by_words = await chat.post("/chat/messages", headers=ru, json={"text": "Где заказ?"})
        by_page = await chat.post(
            "/chat/pick", headers=ru, json={"message_id": 1, "index": 0, "language": "ru-RU"}
        )
        english = await chat.post(
            "/chat/messages", headers=en, json={"text": "Hi", "language": "en"}
        )
    for res in (by_words, by_page):
        assert res.status_code == 429
        wait = int(res.headers["retry-after"])
        assert res.json()["detail"] == text("ru", "bot.slow_down", seconds=wait)
        assert res.json()["detail"].startswith("Вы пишете быстрее")
    assert english.status_code == 429
    assert english.json()["detail"].startswith("You are writing faster")


async def test_ask_is_limited_per_client_address(limited: FastAPI) -> None:
    question = {"text": "How do I get a refund?"}
    async with _client(limited, "203.0.113.7") as one, _client(limited, "203.0.113.8") as two:
        allowed = [await one.post("/v1/ask", json=question) for _ in range(2)]
        refused = await one.post("/v1/ask", json=question)
        elsewhere = await two.post("/v1/ask", json=question)
    assert [r.status_code for r in allowed] == [200, 200]
    assert refused.status_code == 429
    wait = refused.headers["retry-after"]
    assert refused.json() == {
        "detail": f"too many requests from this address; retry in {wait} s",
        "error": "RateLimited",
    }
    assert elsewhere.status_code == 200


async def test_limits_off_count_nothing(tmp_path: Path, database_url: str, kb: Any) -> None:
    settings = _settings(tmp_path, database_url, rate_limit_webchat="", rate_limit_ask="0")
    application = create_app(settings, retriever=kb)
    async with application.router.lifespan_context(application):
        assert application.state.runtime.webchat_limiter is None
        assert application.state.runtime.ask_limiter is None
        async with _client(application) as chat:
            me = await _visitor(chat)
            for _ in range(25):
                res = await chat.post("/chat/messages", headers=me, json={"text": "Hi"})
                assert res.status_code == 200


@pytest.mark.services
@pytest.mark.skipif(not REDIS_URL, reason="CXC_TEST_REDIS_URL not set")
async def test_two_instances_share_the_counts_in_redis(
    tmp_path: Path, database_url: str, kb: Any
) -> None:
    settings = _settings(
        tmp_path,
        database_url,
        redis_url=REDIS_URL,
        rate_limit_webchat="2/minute",
        rate_limit_ask="2/minute",
    )
    address = f"198.51.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with AsyncExitStack() as stack:
        apps = [create_app(settings, retriever=kb) for _ in "12"]
        for application in apps:
            await stack.enter_async_context(application.router.lifespan_context(application))
        # the same visitor and the same address on two instances
        one = await stack.enter_async_context(_client(apps[0], address))
        two = await stack.enter_async_context(_client(apps[1], address))
        me = await _visitor(one)
        first = await one.post("/chat/messages", headers=me, json={"text": "Hi"})
        second = await two.post("/chat/messages", headers=me, json={"text": "Hi"})
        third = await one.post("/chat/messages", headers=me, json={"text": "Hi"})
        asks = [await c.post("/v1/ask", json={"text": "refund?"}) for c in (one, two, two)]
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert [r.status_code for r in asks] == [200, 429, 429]  # the session counted one


async def test_new_visitor_tokens_are_counted_per_client_address(limited: FastAPI) -> None:
    async with _client(limited, "203.0.113.9") as one, _client(limited, "203.0.113.10") as two:
        allowed = [await one.post("/chat/session") for _ in range(2)]
        refused = await one.post("/chat/session")
        elsewhere = await two.post("/chat/session")
    assert [r.status_code for r in allowed] == [200, 200]
    assert refused.status_code == 429 and "token" not in refused.json()
    assert refused.json()["error"] == "RateLimited" and refused.headers["retry-after"]
    assert elsewhere.status_code == 200 and elsewhere.json()["token"]
