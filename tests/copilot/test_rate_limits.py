"""Requests per API token (CXC_RATE_LIMIT_API): over the limit a token gets 429 with
Retry-After in the one error shape; another token is counted apart; a refused request's body is
never read. With Redis the count is shared by every replica."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from copilot.main import create_app
from core.config import Settings
from runtime.ratelimit import WindowLimiter
from tests.copilot.conftest import Users, _users


@pytest.fixture
async def limited(app_settings: Settings, kb: Any) -> AsyncIterator[tuple[FastAPI, Users]]:
    application = create_app(
        app_settings.model_copy(update={"rate_limit_api": "3/minute"}), retriever=kb
    )
    async with application.router.lifespan_context(application):
        async with application.state.session_factory() as session:
            users = await _users(session)
        yield application, users


async def test_a_token_over_its_limit_gets_429_with_retry_after(
    limited: tuple[FastAPI, Users],
) -> None:
    app, users = limited
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        allowed = [await client.get("/v1/cases", headers=users.supervisor) for _ in range(3)]
        refused = await client.get("/v1/cases", headers=users.supervisor)
        big = await client.post("/v1/ask", headers=users.supervisor, content=b"x" * 2_000_000)
        other = await client.get("/v1/cases", headers=users.operator)
        anonymous = await client.get("/health")
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": f"too many requests with this token; retry in {refused.headers['retry-after']} s",
        "error": "RateLimited",
    }
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-request-id"]
    assert big.status_code == 429  # refused before its body is read (not 413)
    assert other.status_code == 200
    assert anonymous.status_code == 200


async def test_an_unlimited_setting_counts_nothing(app: FastAPI, users: Users) -> None:
    settings: Settings = app.state.settings
    assert app.state.runtime.api_limiter is not None  # the default limit is on
    off = create_app(
        settings.model_copy(update={"rate_limit_api": None}), retriever=app.state.retriever
    )
    async with off.router.lifespan_context(off):
        assert off.state.runtime.api_limiter is None


REDIS_URL = os.environ.get("CXC_TEST_REDIS_URL")


@pytest.mark.services
@pytest.mark.skipif(not REDIS_URL, reason="CXC_TEST_REDIS_URL not set")
async def test_replicas_share_the_count_in_redis() -> None:
    assert REDIS_URL is not None
    one, two = (WindowLimiter("2/minute", scope="test-api", redis_url=REDIS_URL) for _ in "12")
    key = os.urandom(8).hex()
    try:
        assert await one.hit(key) is None
        assert await two.hit(key) is None
        wait = await one.hit(key)
        assert wait is not None and 1 <= wait <= 60
        assert await two.hit(os.urandom(8).hex()) is None
    finally:
        await one.close()
        await two.close()


async def test_an_unreachable_redis_lets_requests_through() -> None:
    limiter = WindowLimiter("1/minute", scope="test-api", redis_url="redis://127.0.0.1:1/0")
    try:
        assert await limiter.hit("k") is None
        assert await limiter.hit("k") is None
    finally:
        await limiter.close()
