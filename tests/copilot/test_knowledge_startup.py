"""Starting the API with the knowledge index folder missing: a real KnowledgeBase on a temporary
data dir. An empty index is rebuilt from the record (``knowledge_item``); when the record is
empty too, /health says so and /v1/ask escalates with the reason."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import httpx
import pytest

from copilot.main import create_app
from core.config import Settings
from core.learning.items import ingest_knowledge
from knowledge.sources import load_sources
from runtime import open_runtime

FAQ = Path(__file__).resolve().parents[1] / "fixtures" / "copilot" / "faq.csv"
QUESTION = {"text": "How long does delivery take?"}


async def _health_and_answer(settings: Settings) -> tuple[dict[str, object], dict[str, object]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            health = (await client.get("/health")).json()
            answer = (await client.post("/v1/ask", json=QUESTION)).json()
    return health, answer


async def test_a_lost_index_is_rebuilt_from_the_record_and_an_empty_one_said_aloud(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        env="test", data_dir=tmp_path / "data", database_url=database_url, _env_file=None
    )
    health, answer = await _health_and_answer(settings)
    assert (health["knowledge"], health["knowledge_entries"]) == ("empty", 0)
    assert answer["decision"] == "escalate" and "empty" in str(answer["reason"])

    async with open_runtime(settings) as rt, rt.sessions() as session:
        assert rt.retriever is not None
        await ingest_knowledge(session, retriever=rt.retriever, entries=load_sources([FAQ]))
    shutil.rmtree(settings.chroma_dir)
    shutil.rmtree(settings.index_dir)

    with caplog.at_level(logging.WARNING):
        health, answer = await _health_and_answer(settings)
    assert "rebuilt the knowledge index from the record: 3 entries" in caplog.text
    assert (health["knowledge"], health["knowledge_entries"]) == ("ready", 3)
    assert (answer["decision"], answer["entry_id"]) == ("answer", "delivery_time")
    assert answer["reason"] is None
