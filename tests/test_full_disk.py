"""A full disk under the data directory (a small tmpfs the test fills): the API answers 507
``StorageFull`` naming the directory and stays up, ``cxc ingest`` stops with one line naming it,
nothing is logged with a traceback; once space is freed, everything written before is intact
(SQLite's integrity check, the earlier case, the index still answering) and new writes succeed.
The bot's side is tests/bot/test_storage_full.py."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from copilot.main import create_app
from core.config import Settings
from core.errors import StorageFull
from core.platform import auth
from knowledge.retriever import build_knowledge
from knowledge.sources import load_sources
from tests.small_disk import SmallDisk, integrity, small_disk

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "tests" / "fixtures" / "copilot" / "faq.csv"
NEW = """id,language,question,answer
gift_card,en,Can I pay with a gift card?,"Yes: enter the gift card code at checkout."
"""
SECRET = "full-disk-secret"


@pytest.fixture(scope="module")
def disk() -> Iterator[SmallDisk]:
    with small_disk(16) as d:
        yield d


@pytest.fixture
def settings(disk: SmallDisk) -> Iterator[Settings]:
    disk.free()
    yield Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=disk.path,
        database_url=f"sqlite+aiosqlite:///{disk.path / 'cxc.db'}",
        telegram_webhook_secret=SecretStr(SECRET),
        _env_file=None,
    )
    disk.free()


def _interaction(text: str) -> dict[str, Any]:
    return {
        "channel": "phone",
        "identity": {"phone": "+37369123456"},
        "direction": "in",
        "text": text,
        "occurred_at": datetime.now(UTC).isoformat(),
    }


def _update(update_id: int, text: str) -> dict[str, Any]:
    user = {"id": 7001, "is_bot": False, "first_name": "Ana", "language_code": "ro"}
    message = {"message_id": update_id, "date": 1, "chat": {"id": 7001, "type": "private"}}
    return {"update_id": update_id, "message": {**message, "from": user, "text": text}}


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.exc_info], "logged a traceback"
    assert "Traceback" not in caplog.text


async def test_the_api_answers_507_and_keeps_what_it_had(
    disk: SmallDisk, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with build_knowledge(settings) as kb:
        kb.ingest_sync(load_sources([FAQ]))
        app = create_app(settings, retriever=kb)
        async with app.router.lifespan_context(app), _client(app) as api:
            first = await api.post("/v1/interactions", json=_interaction("one"))
            assert first.status_code == 201, first.text
            case = f"/v1/cases/{first.json()['case_id']}"
            assert (await api.get(case)).status_code == 200  # the compensation policy set up
            assert (await _webhook(api, 1)).status_code == 200

            disk.fill()
            with caplog.at_level(logging.INFO):
                full = await api.post("/v1/interactions", json=_interaction("two"))
                queued = await _webhook(api, 2)
                with pytest.raises(StorageFull, match=str(disk.path)):
                    await kb.ingest(load_sources([FAQ]))
                read, health = await api.get(case), await api.get("/health")
            assert full.status_code == 507, full.text
            assert full.json() == {
                "detail": str(StorageFull(str(disk.path))),
                "error": "StorageFull",
            }
            assert queued.status_code == 507  # Telegram sends the update again later
            assert read.status_code == 200 and health.status_code == 200  # still up
            _no_traceback(caplog)
            assert "no space left in" in caplog.text

            disk.free()
            assert integrity(disk.path / "cxc.db") == "ok"
            assert (await api.post("/v1/interactions", json=_interaction("two"))).status_code == 201
            assert (await _webhook(api, 2)).status_code == 200
            timeline = (await api.get(case)).json()["timeline"]
            texts = [m["text"] for m in timeline if m["author"] == "customer"]
            assert texts.count("one") == 1 and texts.count("two") == 1
        assert kb.ask_sync("How long does delivery take?").entry_id == "delivery_time"


@asynccontextmanager
async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An operator's client of ``app``."""
    async with app.state.session_factory() as session:
        _user, token = await auth.create_user(session, name="olga", role="operator")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        yield c


async def _webhook(api: httpx.AsyncClient, update_id: int) -> httpx.Response:
    hook = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    return await api.post("/telegram/webhook", json=_update(update_id, "hi"), headers=hook)


def _cxc(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXC_")}
    env.update(
        {
            "CXC_ENV": "test",
            "CXC_DATA_DIR": str(settings.data_dir),
            "CXC_DATABASE_URL": str(settings.database_url),
        }
    )
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True, text=True, env=env, cwd=settings.data_dir, timeout=300,
    )  # fmt: skip


def test_cxc_ingest_stops_with_one_line_and_the_index_stays(
    disk: SmallDisk, settings: Settings, tmp_path: Path
) -> None:
    new = tmp_path / "new.csv"
    new.write_text(NEW, "utf-8")
    assert _cxc(settings, "ingest", str(FAQ)).returncode == 0
    disk.fill()
    full = _cxc(settings, "ingest", str(new))
    assert full.returncode == 1, full.stderr
    assert "Traceback" not in full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no space left in" in errors[0]
    assert str(disk.path) in errors[0]

    disk.free()
    assert integrity(disk.path / "cxc.db") == "ok"
    with build_knowledge(settings) as kb:  # the index that was there loads and answers
        assert kb.ask_sync("How long does delivery take?").entry_id == "delivery_time"
        assert kb.ask_sync("Can I pay with a gift card?").entry_id != "gift_card"
    done = _cxc(settings, "ingest", str(new))
    assert done.returncode == 0, done.stderr
    with build_knowledge(settings) as kb:
        assert kb.ask_sync("Can I pay with a gift card?").entry_id == "gift_card"
