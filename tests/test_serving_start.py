"""A server process (``open_runtime(serving=True)``) is ready before its first request: the
encoders and the case memory are loaded, then the heap is settled, so that a full garbage
collection walks only what was made since and not the ~350,000 objects start-up built (a full
pass over those held every request in flight for 0.2-0.5 s under load)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAQ = ROOT / "tests" / "fixtures" / "copilot" / "faq.csv"
SCRIPT = """
import asyncio, gc, json, sys, time
from core.config import Settings
from copilot.main import create_app  # the API's modules, as a server process has them
from knowledge.store import embeddings
from knowledge.store.case_memory import ChromaCaseMemory
from runtime import open_runtime

calls = []
for name in ("versions", "similar"):
    def record(method):
        async def recorded(self, *args, **kwargs):
            calls.append(method.__name__)
            return await method(self, *args, **kwargs)
        return recorded
    setattr(ChromaCaseMemory, name, record(getattr(ChromaCaseMemory, name)))

async def main(serving: bool) -> None:
    settings = Settings(env="test", data_dir=sys.argv[1], _env_file=None)
    async with open_runtime(settings, serving=serving, follow_cases=True):
        loaded = embeddings._model is not None and embeddings._use is not None
        started = time.perf_counter()
        gc.collect()
        took_ms = (time.perf_counter() - started) * 1e3
        print(json.dumps({"tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                          "full_pass_ms": round(took_ms, 1), "encoders_loaded": loaded,
                          "case_memory_calls": calls}))

asyncio.run(main(sys.argv[2] == "serving"))
"""


def _run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXC_")}
    env |= {"CXC_ENV": "test", "CXC_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )


def _start(data_dir: Path, mode: str) -> dict[str, Any]:
    done = _run("-c", SCRIPT, str(data_dir), mode, data_dir=data_dir)
    assert done.returncode == 0, done.stderr[-2000:]
    got: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return got


@pytest.mark.slow
def test_a_server_process_is_ready_and_settled_before_its_first_request(tmp_path: Path) -> None:
    ingested = _run(str(ROOT / "cli.py"), "ingest", str(FAQ), data_dir=tmp_path)
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    plain = _start(tmp_path, "plain")
    serving = _start(tmp_path, "serving")
    # without: the encoders load on the first question, the case memory on the first pass
    assert not plain["encoders_loaded"] and plain["case_memory_calls"] == [], plain
    assert serving["encoders_loaded"], serving
    assert serving["case_memory_calls"] == ["versions", "similar"], serving
    assert plain["frozen"] == 0 and plain["tracked"] > 100_000, plain
    assert serving["frozen"] > 100_000, serving
    assert serving["tracked"] < serving["frozen"] / 50, serving
