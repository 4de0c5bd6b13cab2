"""benchmarks/bench_load.py end to end at tiny rates: the real `cxc serve` and
`cxc bot --webhook-worker` processes (two of them on the queue), each load run, and no request
failing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import bench_load

FAQ = Path(__file__).parent / "fixtures" / "copilot" / "faq.csv"
pytestmark = pytest.mark.slow


def test_every_load_runs_without_an_error(tmp_path: Path) -> None:
    faq = os.path.relpath(FAQ)  # as typed in a shell: the processes run in the data directory
    report = bench_load.main(
        [
            "--workers", "1", "--seconds", "2", "--probe-seconds", "1",
            "--kb", faq, "--queries", faq,
            "--webhook-rate", "5", "--suggest-rate", "3", "--bot-replicas", "2",
            "--cases", "40", "--open-cases", "8", "--keep", str(tmp_path / "data"),
        ]
    )  # fmt: skip

    one = report["workers_1"]
    assert set(one) == {"webhook", "ask", "suggestions"}
    for load in one.values():
        assert load["errors"] == 0, load
        assert load["ok"] == load["requests"] > 0
        assert load["p50_ms"] <= load["p99_ms"]
    drain = one["webhook"]["drain"]
    assert drain["updates"] == 15 + 10  # the 3-s warm-up's updates are drained too
    assert drain["bot_replicas"] == 2  # two processes on one queue: each answered once
    assert drain["all_answered_once"], drain
    assert report["encoders"]["per_s"] > 0
    assert one["ask"]["probes"] and one["ask"]["ratio_to_encoders"] > 0
    assert report["setup"]["seed"]["cases"] == 40
