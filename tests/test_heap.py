"""A server process settles its heap after start-up: a full garbage collection then walks only
what was made since, not the hundreds of thousands of objects start-up built to stay (a full
pass over those held every request in flight for 0.2-0.5 s under load)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import asyncio, gc, json, sys, time
from core.config import Settings
from copilot.main import create_app  # the API's modules, as a server process has them
from runtime import open_runtime

async def main(settle: bool) -> None:
    settings = Settings(env="test", data_dir=sys.argv[1], _env_file=None)
    async with open_runtime(settings, settle_heap=settle):
        started = time.perf_counter()
        gc.collect()
        took_ms = (time.perf_counter() - started) * 1e3
        print(json.dumps({"tracked": len(gc.get_objects()), "frozen": gc.get_freeze_count(),
                          "full_pass_ms": round(took_ms, 1)}))

asyncio.run(main(sys.argv[2] == "settle"))
"""


def _start(data_dir: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(data_dir), mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return got


@pytest.mark.slow
def test_after_start_up_a_full_collection_walks_only_what_came_since(tmp_path: Path) -> None:
    plain = _start(tmp_path, "plain")
    settled = _start(tmp_path, "settle")
    assert plain["frozen"] == 0 and plain["tracked"] > 100_000, plain
    assert settled["frozen"] > 100_000, settled
    assert settled["tracked"] < settled["frozen"] / 50, settled
