"""GET /v1/cases/{id}/summary: the conversation summarised by the loopback model for the
operator taking over, redacted before it leaves and checked against the conversation."""

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
from tests.copilot.conftest import _users, seed_case
from tests.llm.server import LoopbackLlm, loopback_llm


@pytest.fixture
def llm_server() -> Iterator[LoopbackLlm]:
    with loopback_llm() as server:
        yield server


@pytest.fixture
async def llm_app(
    tmp_path: Path, database_url: str, kb: Any, llm_server: LoopbackLlm
) -> AsyncIterator[FastAPI]:
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        llm_base_url=llm_server.base_url,
        llm_model="loopback",
        llm_retries=0,
        _env_file=None,
    )
    app = create_app(settings, retriever=kb)
    async with app.router.lifespan_context(app):
        yield app


async def _get(app: FastAPI, text: str) -> httpx.Response:
    async with app.state.session_factory() as session:
        users = await _users(session)
        case = await seed_case(session, text=text, name="Анна Смирнова")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(f"/v1/cases/{case.id}/summary", headers=users.operator)


def _reply(text: str) -> str:
    return json.dumps({"answer": text, "sources": ["conversation"]}, ensure_ascii=False)


async def test_the_summary_names_the_customer_who_never_left(
    llm_app: FastAPI, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("<NAME_1> ждёт заказ <ORDER_1> и просит позвонить на <PHONE_1>."))
    response = await _get(llm_app, "Анна Смирнова, заказ 4521 не пришёл, звоните +7 916 123-45-67")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "composed" and body["composed_by"] == "loopback"
    assert (
        body["summary"] == "Анна Смирнова ждёт заказ 4521 и просит позвонить на +7 916 123-45-67."
    )
    sent = llm_server.sent_text()
    assert "Смирнова" not in sent and "916" not in sent and "4521" not in sent


async def test_a_summary_adding_a_promise_is_refused(
    llm_app: FastAPI, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("Клиентке обещан возврат 500 рублей."))
    body = (await _get(llm_app, "Заказ не пришёл")).json()
    assert body["summary"] is None and body["outcome"] in {"number", "promise", "money"}


async def test_without_a_model_there_is_no_summary(app: FastAPI) -> None:
    response = await _get(app, "Заказ не пришёл")
    assert response.status_code == 200
    assert response.json() == {
        "case_id": response.json()["case_id"],
        "summary": None,
        "outcome": "no_model",
        "composed_by": None,
    }
