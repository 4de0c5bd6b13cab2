"""POST /v1/ask with a language model configured: the real app, the real knowledge base and the
real openai client against the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from copilot.main import create_app
from core.config import Settings
from tests.llm.server import LoopbackLlm, Step, loopback_llm

QUESTION = "сколько ждать доставку заказа?"


@pytest.fixture
def llm_server() -> Iterator[LoopbackLlm]:
    with loopback_llm() as server:
        yield server


@pytest.fixture
async def llm_client(
    tmp_path: Path, database_url: str, kb: Any, llm_server: LoopbackLlm
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        llm_base_url=llm_server.base_url,
        llm_model="loopback",
        llm_timeout_s=1.0,
        llm_retries=0,
        llm_budget_s=1.5,
        _env_file=None,
    )
    app: FastAPI = create_app(settings, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def _reply(text: str, *sources: str) -> str:
    return json.dumps({"answer": text, "sources": list(sources)}, ensure_ascii=False)


async def test_an_answer_is_composed_from_the_retrieved_entry(
    llm_client: httpx.AsyncClient, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("Привезём за 30 минут - 2 часа.", "delivery_time"))
    body = (
        await llm_client.post("/v1/ask", json={"text": "сколько ждать доставку заказа?"})
    ).json()
    assert body["decision"] == "answer" and body["entry_id"] == "delivery_time"
    assert body["text"] == "Привезём за 30 минут - 2 часа."
    assert body["composed_by"] == "loopback"
    sent = llm_server.requests[0]["messages"][1]["content"]
    assert "Доставка занимает от 30 минут до 2 часов." in sent and "Russian" in sent


async def test_a_promise_the_entry_does_not_make_gives_the_entrys_answer(
    llm_client: httpx.AsyncClient, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("Доставим за 30 минут, иначе вернём 500 рублей.", "delivery_time"))
    body = (
        await llm_client.post("/v1/ask", json={"text": "сколько ждать доставку заказа?"})
    ).json()
    assert body["text"] == "Доставка занимает от 30 минут до 2 часов."
    assert body["composed_by"] is None


async def test_a_failing_model_gives_the_entrys_answer(
    llm_client: httpx.AsyncClient, llm_server: LoopbackLlm
) -> None:
    llm_server.script(Step("hang", "{}", delay_s=3))
    response = await llm_client.post("/v1/ask", json={"text": QUESTION})
    body = response.json()
    assert body["text"] == "Доставка занимает от 30 минут до 2 часов."
    assert body["timings_ms"]["compose"] < 1700


async def test_an_escalation_never_reaches_the_model(
    llm_client: httpx.AsyncClient, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("The capital is Canberra.", "delivery_time"))
    for text in ("what is the capital of Australia?", "дайте менеджера немедленно"):
        body = (await llm_client.post("/v1/ask", json={"text": text})).json()
        assert body["decision"] == "escalate" and body["composed_by"] is None
    assert not llm_server.requests


async def test_every_call_is_recorded_and_reported_with_its_cost(
    tmp_path: Path, database_url: str, kb: Any, llm_server: LoopbackLlm
) -> None:
    from core import db
    from core.platform import auth

    common: dict[str, Any] = {
        "env": "test",
        "data_dir": tmp_path / "data",
        "database_url": database_url,
        "llm_model": "loopback",
        "llm_price_in": 0.5,
        "llm_price_out": 2.0,
        "_env_file": None,
    }
    llm_server.answer(_reply("Привезём за 30 минут - 2 часа.", "delivery_time"))
    with_model = Settings(llm_base_url=llm_server.base_url, llm_budget_s=1.5, **common)
    app = create_app(with_model, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            body = (await c.post("/v1/ask", json={"text": QUESTION})).json()
    assert body["composed_by"] == "loopback"
    usage = _usage_of(llm_server)

    engine = db.create_engine(database_url)
    async with db.session_factory(engine)() as s:
        _user, token = await auth.create_user(s, name="sveta", role="supervisor")
    await engine.dispose()
    app = create_app(Settings(**common), retriever=kb)  # the report needs no model
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            headers = {"Authorization": f"Bearer {token}"}
            report = (await c.get("/v1/reports/llm", headers=headers)).json()
    assert (report["calls"], report["failed"]) == (1, 0)
    assert (report["prompt_tokens"], report["completion_tokens"]) == usage
    [row] = report["rows"]
    assert (row["model"], row["purpose"]) == ("loopback", "answer")
    assert report["cost"] == pytest.approx(usage[0] / 1000 * 0.5 + usage[1] / 1000 * 2.0)


def _usage_of(server: LoopbackLlm) -> tuple[int, int]:
    """The loopback server's usage field: words sent and words answered."""
    sent = sum(len(str(m["content"]).split()) for m in server.requests[0]["messages"])
    return sent, len(_reply("Привезём за 30 минут - 2 часа.", "delivery_time").split())


async def test_with_the_rerank_on_the_model_chooses_among_the_candidates_only(
    tmp_path: Path, database_url: str, kb: Any, llm_server: LoopbackLlm
) -> None:
    def model(request: dict[str, Any]) -> str:
        if request["messages"][0]["content"].startswith("You rank FAQ entries"):
            return json.dumps({"entry": "refund"})
        return _reply("Деньги вернём за 3-5 рабочих дней.", "refund")

    llm_server.answer(model)
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        llm_base_url=llm_server.base_url,
        llm_model="loopback",
        llm_rerank=True,
        llm_budget_s=1.5,
        _env_file=None,
    )
    app = create_app(settings, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            body = (await c.post("/v1/ask", json={"text": QUESTION})).json()
            assert (body["decision"], body["entry_id"]) == ("answer", "refund")
            assert "rerank" in body["timings_ms"] and len(llm_server.requests) == 2
            llm_server.requests.clear()
            text = "what is the capital of Australia?"
            body = (await c.post("/v1/ask", json={"text": text})).json()
    assert body["decision"] == "escalate" and not llm_server.requests
