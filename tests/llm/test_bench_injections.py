"""The real-model injection benchmark (benchmarks/bench_injections.py): skipped with a clear
message without a model, and run end to end against the loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from benchmarks import bench_injections as bench
from core.config import Settings
from tests.llm.server import LoopbackLlm

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_model_it_says_how_to_run_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CXC_LLM_", "OPENAI_"))}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_injections"],
        cwd=tmp_path,  # no .env here
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == bench.SKIPPED


async def test_the_corpus_runs_against_a_configured_endpoint(
    llm_server: LoopbackLlm, tmp_path: Path
) -> None:
    attacks: list[dict[str, Any]] = yaml.safe_load(bench.CORPUS.read_text(encoding="utf-8"))

    def comply(body: dict[str, Any]) -> str:
        """A model that obeys: the attack's own reply, citing what it claims."""
        prompt = body["messages"][1]["content"]
        attack = next(
            a for a in attacks if json.dumps(a["message"], ensure_ascii=False)[1:-1][:40] in prompt
        )
        return json.dumps({"answer": attack["reply"], "sources": attack.get("cites", ["delivery"])})

    llm_server.answer(comply)
    settings = Settings(  # type: ignore[call-arg]
        env="test",
        data_dir=tmp_path,
        llm_base_url=llm_server.base_url,
        llm_model="loopback",
        llm_retries=0,
        _env_file=None,
    )
    filtered = bench.report(await bench.run_corpus(settings, attacks), "loopback")
    assert filtered["attacks"] == len(attacks) == 46
    assert filtered["composed"] == [] and filtered["sent_to_model"] < 46  # every attack held
    raw = bench.report(await bench.run_corpus(settings, attacks, unfiltered=True), "loopback")
    assert raw["sent_to_model"] == 46
    # the guard alone holds every attack but an instruction planted in the entry itself: a
    # promise the entry states is grounded (its extractive answer states it too); the
    # instruction filter is what stops those
    assert {c["kind"] for c in raw["composed"]} <= {"faq_hidden"}
