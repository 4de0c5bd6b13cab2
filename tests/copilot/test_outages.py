"""The API while a backend is down: a real PostgreSQL of its own (stopped and started again by
the test) and a real Chroma server (`chroma run`). /health names what is down and answers 503;
every other route answers 503 in the one error shape (never a 500 or a traceback), and all is
well again once the backend is back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot.main import create_app
from core.config import Settings
from knowledge.retriever import build_knowledge
from knowledge.sources import load_sources
from tests.copilot.conftest import FAQ, _users
from tests.servers import chroma_server, postgres_server

pytestmark = [pytest.mark.slow, pytest.mark.services]


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(env="test", data_dir=tmp_path / "data", _env_file=None, **values)  # type: ignore[call-arg]


async def test_a_database_outage_is_503_in_one_shape_and_passes(tmp_path: Path, kb: Any) -> None:
    with postgres_server() as pg:
        app = create_app(_settings(tmp_path, database_url=pg.url), retriever=kb)
        async with app.router.lifespan_context(app):
            async with app.state.session_factory() as session:
                users = await _users(session)
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                assert (await client.get("/v1/cases", headers=users.supervisor)).status_code == 200
                pg.stop()
                health = await client.get("/health")
                cases = await client.get("/v1/cases", headers=users.supervisor)
                users_list = await client.get("/v1/users", headers=users.admin)
                ask = await client.post("/v1/ask", json={"text": "Where is my order?"})
                pg.start()
                healthy = await client.get("/health")
                again = await client.get("/v1/cases", headers=users.supervisor)
    assert health.status_code == 503
    assert health.json() == {
        "status": "unavailable",
        "database": "down",
        "knowledge": "ready",
        "knowledge_entries": len(kb.entries()),
        "chroma": "up",
        "chroma_mode": "embedded",
        "chroma_detail": None,
        "processes": [],  # the heartbeats are in the database: none listed while it is down
    }
    for refused in (cases, users_list):
        assert refused.status_code == 503, refused.text
        assert refused.json() == {
            "detail": "the database is unavailable; try again shortly",
            "error": "DatabaseUnavailable",
        }
        assert refused.headers["retry-after"] == "5"
        assert refused.headers["x-request-id"]
    assert ask.status_code == 200  # answering from the knowledge base needs no database
    assert healthy.status_code == 200 and healthy.json()["database"] == "up"
    assert again.status_code == 200


async def test_health_says_when_the_chroma_server_is_down(
    tmp_path: Path, database_url: str
) -> None:
    with chroma_server(tmp_path / "chroma") as chroma:
        settings = _settings(tmp_path, database_url=database_url, chroma_url=chroma.url)
        with build_knowledge(settings) as knowledge_base:
            knowledge_base.ingest_sync(load_sources([FAQ]))
            app = create_app(settings, retriever=knowledge_base)
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                    up = await client.get("/health")
                    chroma.stop()
                    down = await client.get("/health")
                    chroma.start()
                    back = await client.get("/health")
    assert up.status_code == 200
    assert (up.json()["chroma"], up.json()["chroma_mode"]) == ("up", "server")
    assert down.status_code == 503
    assert down.json()["status"] == "unavailable"
    assert (down.json()["database"], down.json()["chroma"]) == ("up", "down")
    assert down.json()["chroma_detail"]
    assert back.status_code == 200 and back.json()["chroma"] == "up"
