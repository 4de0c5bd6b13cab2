"""The bot as a separate process in polling mode against a loopback Bot API server."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import LoopbackBotApi, Updates
from harness import TOKEN, Harness

from bot.app import run_webhook_worker
from core.platform import updates
from core.ports import Retriever
from runtime import open_runtime

ROOT = Path(__file__).resolve().parents[2]
BOT_COMMAND = [sys.executable, str(ROOT / "cli.py"), "bot"]
"""The real `cxc bot` command, in polling mode."""


async def _wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.1)
    return False


@pytest.mark.slow
async def test_polling_process_answers_from_the_kb(kb_dir: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(kb_dir, data_dir)  # the process opens its own copy of the fixture KB
    api = LoopbackBotApi()
    await api.start()
    env = {
        **os.environ,
        "CXC_TELEGRAM_TOKEN": TOKEN,
        "CXC_TELEGRAM_API_URL": api.url,
        "CXC_DATA_DIR": str(data_dir),
        "CXC_ENV": "test",
        "CXC_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
    }
    proc = await asyncio.create_subprocess_exec(
        *BOT_COMMAND,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert await _wait_for(lambda: "getUpdates" in api.calls, 90), "bot never polled"
        user = Updates.user(555, first_name="Olena", language="uk")
        api.push(Updates().message(user, "How long does delivery take?"))
        assert await _wait_for(lambda: bool(api.sent), 30), "no reply"
        assert api.sent[0]["chat_id"] == "555"
        assert api.sent[0]["text"].startswith("Замовлення до 14:00 привозимо того ж дня")
        assert "Джерело: How long does delivery take?" in api.sent[0]["text"]
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(proc.communicate(), 30)
        await api.stop()
    assert proc.returncode == 0, output.decode()[-3000:]


@pytest.mark.slow
async def test_webhook_worker_drains_the_queue(harness: Harness, knowledge_base: Retriever) -> None:
    api = LoopbackBotApi()
    await api.start()
    settings = harness.settings.model_copy(update={"telegram_api_url": api.url})
    update = harness.updates.message(harness.user, "Can I pay by card?")
    async with harness.sessions() as s:
        assert await updates.enqueue_update(s, update_id=update["update_id"], payload=update)
    stop = asyncio.Event()

    async def run() -> None:
        async with open_runtime(settings, retriever=knowledge_base) as rt:
            await run_webhook_worker(rt, poll_interval_s=0.05, stop=stop)

    worker = asyncio.create_task(run())
    try:
        assert await _wait_for(lambda: bool(api.sent) or worker.done(), 30)
        assert api.sent[0]["text"].startswith("We accept Visa, Mastercard and Mir")
    finally:
        stop.set()
        await asyncio.wait_for(worker, 10)
        await api.stop()
