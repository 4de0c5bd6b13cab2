"""Input every database can store, and bodies of a bounded size: NaN, Infinity, 1e400, a lone
surrogate and a NUL character are a 422 (body and query), a body over CXC_MAX_BODY_BYTES a 413;
long texts are cut for matching. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from core.domain import match_text
from tests.copilot.conftest import Users, seed_case

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "raw",
    [
        '{"case_id": %d, "affected_amount": NaN}',
        '{"case_id": %d, "affected_amount": Infinity}',
        '{"case_id": %d, "affected_amount": -Infinity}',
        '{"case_id": %d, "affected_amount": 1e400}',
        '{"case_id": %d, "affected_amount": 1' + "0" * 5000 + "}",
    ],
)
async def test_numbers_json_cannot_store_are_422(
    raw: str, any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    async with any_app.state.session_factory() as session:
        case = await seed_case(session, text="Сыр испорчен")
    headers = {**any_users.operator, **JSON}
    res = await any_client.post("/v1/compensations", headers=headers, content=raw % case.id)
    assert res.status_code == 422, res.text
    assert res.json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize("text", ['"\\ud800 hi"', '"nul \\u0000 here"', '"ok", "\\udfff": 1'])
async def test_lone_surrogates_and_nul_in_a_text_are_422(
    text: str, any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    async with any_app.state.session_factory() as session:
        case = await seed_case(session, text="Где заказ?")
    headers = {**any_users.operator, **JSON}
    body = '{"text": ' + text + "}"
    res = await any_client.post(f"/v1/cases/{case.id}/notes", headers=headers, content=body)
    assert res.status_code == 422, res.text
    ask = await any_client.post("/v1/ask", headers=JSON, content=body)
    assert ask.status_code == 422


async def test_a_nul_in_a_query_parameter_is_422(
    any_client: httpx.AsyncClient, any_users: Users
) -> None:
    for url in ("/v1/cases?assigned_to=a%00b", "/v1/reports/summary?topic=x%00"):
        res = await any_client.get(url, headers=any_users.supervisor)
        assert res.status_code == 422, url
        assert "NUL" in res.json()["detail"][0]["msg"]


async def test_a_body_over_the_limit_is_413(
    any_client: httpx.AsyncClient, any_users: Users
) -> None:
    update = '{"update_id": 1, "message": {"text": "%s"}}' % ("x" * 10_000_000)
    res = await any_client.post("/telegram/webhook", headers=JSON, content=update)
    assert res.status_code == 413 and "1000000 bytes" in res.json()["detail"]
    assert res.json()["error"] == "PayloadTooLarge"  # the one error shape

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    chunked = await any_client.post("/v1/ask", headers=JSON, content=chunks())
    assert chunked.status_code == 413


def test_long_texts_are_cut_for_matching() -> None:
    text = "где мой заказ " + "бла " * 1_250_000 + "верните деньги"
    cut = match_text(text, 1000)
    assert len(cut) <= 1001
    assert cut.startswith("где мой заказ") and cut.endswith("верните деньги")
    assert match_text("short") == "short"


async def test_a_long_question_is_answered_quickly_while_others_are_served(
    any_client: httpx.AsyncClient,
) -> None:
    question = "Где мой заказ? " + "очень долго жду и никто не отвечает " * 110  # ~4,000 chars
    assert 3900 <= len(question) <= 4000

    async def health_latency() -> float:
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        assert (await any_client.get("/health")).status_code == 200
        return time.perf_counter() - t0

    await any_client.post("/v1/ask", json={"text": "Где мой заказ?"})  # the model is warm
    t0 = time.perf_counter()
    ask, waited = await asyncio.gather(
        any_client.post("/v1/ask", json={"text": question}), health_latency()
    )
    assert ask.status_code == 200
    assert time.perf_counter() - t0 < 4.0  # uncut: 5-9 s on a busy 2-core machine
    assert waited < 0.5
