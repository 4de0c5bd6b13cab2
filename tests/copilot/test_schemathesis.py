"""A bounded, deterministic schemathesis run over the app's own OpenAPI: every operation must
never answer 5xx -- as a supervisor (valid and, for operations with inputs, invalid data), and in
smaller passes as an operator and as an admin.

Real app, real SQLite, the real knowledge base. Hypothesis runs in a worker thread and hands
each request to the test's event loop, where the app's engine and lifespan live.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from copilot.main import create_app
from core.config import Settings
from core.models import InboundUpdate
from tests.copilot.conftest import Users, seed_case

BASE_URL = "http://test"
Send = Callable[[dict[str, Any]], httpx.Response]


def _budget(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )


def _httpx_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style transport kwargs (what schemathesis serializes) to httpx's."""
    out: dict[str, Any] = {
        k: kwargs[k] for k in ("method", "url", "headers", "params", "json") if k in kwargs
    }
    if kwargs.get("cookies"):
        out["headers"] = {
            **out.get("headers", {}),
            "Cookie": "; ".join(f"{k}={v}" for k, v in kwargs["cookies"].items()),
        }
    data = kwargs.get("data")
    if isinstance(data, str | bytes):
        out["content"] = data
    elif data is not None:
        out["data"] = data
    if kwargs.get("files"):
        out["files"] = kwargs["files"]
    return out


def _fuzz(
    schema: Any,
    send: Send,
    *,
    headers: dict[str, str],
    max_examples: int,
    mode: GenerationMode,
    only: str | None,
) -> list[str]:
    """Run every operation (or just ``only``); return the labels of those exercised."""
    seen: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if only is not None and operation.label != only:
            continue
        has_inputs = any(operation.iter_parameters()) or len(operation.body) > 0
        if mode is GenerationMode.NEGATIVE and not has_inputs:
            continue  # nothing to make invalid

        @_budget(max_examples)
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
            response = send(kwargs)
            assert response.status_code < 500, f"{response.status_code} for {case!r}"
            case.validate_response(response, checks=[not_a_server_error])

        check()
        seen.append(operation.label)
    return seen


POISON_TEXT = ("\ud800", "a\x00b")
POISON_NUMBER = ("NaN", "Infinity", "-Infinity", "1e400")
MARK = "\x01poison\x01"


def _poisoned(body: Any) -> list[str]:
    """Raw JSON bodies with one leaf made a value no database stores: NaN, Infinity or 1e400
    for a number, a lone surrogate or a NUL for a text."""
    out: list[str] = []

    def walk(node: Any, put: Callable[[Any], Any]) -> None:
        if isinstance(node, dict):
            for key in node:
                walk(node[key], lambda v, k=key, n=node: n.__setitem__(k, v))
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, lambda v, i=i, n=node: n.__setitem__(i, v))
        elif isinstance(node, str):
            for bad in POISON_TEXT:
                put(bad)
                out.append(json.dumps(body))
            put(node)
        elif isinstance(node, int | float) and not isinstance(node, bool):
            for bad in POISON_NUMBER:
                put(MARK)
                out.append(json.dumps(body).replace(json.dumps(MARK), bad))
            put(node)

    walk(body, lambda v: None)
    return out


def _fuzz_poison(schema: Any, send: Send, *, headers: dict[str, str], max_examples: int) -> int:
    """Valid requests with one body leaf or query value poisoned: every one is a 422."""
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @_budget(max_examples)
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def check(case: Any) -> None:
            nonlocal sent
            kwargs = _httpx_kwargs(case.as_transport_kwargs(base_url=BASE_URL, headers=headers))
            variants = []
            if isinstance(kwargs.get("json"), dict | list):
                body = kwargs.pop("json")
                hdrs = {**kwargs.get("headers", {}), "Content-Type": "application/json"}
                variants += [{**kwargs, "headers": hdrs, "content": raw} for raw in _poisoned(body)]
            params = dict(kwargs.get("params") or {})
            variants.append({**kwargs, "params": {**params, "q": "a\x00b"}})
            for variant in variants:
                response = send(variant, raw=True)
                sent += 1
                assert response.status_code == 422, f"{response.status_code} for {variant!r}"

        check()
    return sent


async def _run(
    app: FastAPI,
    headers: dict[str, str],
    *,
    max_examples: int,
    mode: GenerationMode | str = GenerationMode.POSITIVE,
    only: str | None = None,
) -> Any:
    schema = schemathesis.openapi.from_dict(app.openapi())
    loop = asyncio.get_running_loop()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=30) as client:

        def send(kwargs: dict[str, Any], raw: bool = False) -> httpx.Response:
            request = client.request(**(kwargs if raw else _httpx_kwargs(kwargs)))
            return asyncio.run_coroutine_threadsafe(request, loop).result(timeout=60)

        if mode == "poison":
            return await asyncio.to_thread(
                _fuzz_poison, schema, send, headers=headers, max_examples=max_examples
            )
        return await asyncio.to_thread(
            _fuzz,
            schema,
            send,
            headers=headers,
            max_examples=max_examples,
            mode=mode,
            only=only,
        )


@pytest.fixture
async def seeded(db_session: AsyncSession) -> None:
    """Case 1 exists, so small generated ids reach past the 404s."""
    await seed_case(db_session, text="Где мой заказ?")


def _operation_count(app: FastAPI) -> int:
    return sum(len(item) for item in app.openapi()["paths"].values())


@pytest.mark.usefixtures("seeded")
async def test_no_operation_answers_5xx_for_a_supervisor(app: FastAPI, users: Users) -> None:
    seen = await _run(app, users.supervisor, max_examples=8)
    assert "POST /telegram/webhook" in seen
    assert len(seen) == _operation_count(app)


@pytest.mark.usefixtures("seeded")
async def test_invalid_input_never_answers_5xx(app: FastAPI, users: Users) -> None:
    seen = await _run(app, users.supervisor, max_examples=4, mode=GenerationMode.NEGATIVE)
    assert "POST /v1/cases/{case_id}/resolve" in seen


@pytest.mark.usefixtures("seeded")
async def test_values_no_database_stores_are_422_everywhere(app: FastAPI, users: Users) -> None:
    """NaN, Infinity, 1e400 in a number, a lone surrogate or a NUL in a text or a query value."""
    sent = await _run(app, users.supervisor, max_examples=2, mode="poison")
    assert sent > 100


@pytest.mark.usefixtures("seeded")
async def test_no_operation_answers_5xx_for_an_operator(app: FastAPI, users: Users) -> None:
    seen = await _run(app, users.operator, max_examples=3)
    assert len(seen) == _operation_count(app)


@pytest.mark.usefixtures("seeded")
async def test_no_operation_answers_5xx_for_an_admin(app: FastAPI, users: Users) -> None:
    seen = await _run(app, users.admin, max_examples=2)
    assert "POST /v1/users" in seen


async def test_the_configured_webhook_never_answers_5xx(app_settings: Settings, kb: Any) -> None:
    """With a secret set the webhook really queues updates (without one it answers 404)."""
    secret = "schemathesis-secret"
    configured = app_settings.model_copy(update={"telegram_webhook_secret": SecretStr(secret)})
    application = create_app(configured, retriever=kb)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with application.router.lifespan_context(application):
        for mode in GenerationMode:
            seen = await _run(
                application, headers, max_examples=8, mode=mode, only="POST /telegram/webhook"
            )
            assert seen == ["POST /telegram/webhook"]
        async with application.state.session_factory() as session:
            queued = (await session.exec(select(InboundUpdate))).all()
    assert queued, "valid updates were queued"
