"""Smoke tests of the research tools (tools/): each answers --help, and the tuning path runs end
to end on a tiny synthetic set (random unit vectors instead of the cached encoders)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import datasets as ds
from tools import robustness, threshold_density, tune_matcher

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("tune_matcher", "threshold_density", "robustness", "offtopic_vectors", "split_queries")
TINY = ds.Task(
    name="tiny",
    kb=[
        (entry, f"{word} question {i}", "question")
        for entry, word in (("refund", "refund money back"), ("delivery", "parcel delivery late"))
        for i in range(6)
    ]
    + [("refund", "We refund within 5 days.", "answer"), ("delivery", "1-2 days.", "answer")],
    queries=[("refund money please", "refund"), ("where is my parcel", "delivery"), ("hi", None)],
)


def test_every_tool_answers_help() -> None:
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", f"tools.{name}", "--help"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in TOOLS
    ]
    for name, run in zip(TOOLS, runs, strict=True):
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0 and "usage:" in out, f"{name}: {err}"


def fake_vectors(texts, role: str) -> np.ndarray:
    """Deterministic unit vectors per text and view, as ``ds.embed`` shapes them."""
    rows = []
    for text in texts:
        seed = int.from_bytes(hashlib.sha1(f"{role}|{text}".encode()).digest()[:8], "big")
        rng = np.random.default_rng(seed)
        views = [rng.normal(size=n) for n in (384, 512)]
        rows.append(np.concatenate([v / np.linalg.norm(v) for v in views]))
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), ds.DIM)


@pytest.fixture
def synthetic(monkeypatch: pytest.MonkeyPatch) -> ds.Task:
    monkeypatch.setattr(ds, "embed", fake_vectors)
    monkeypatch.setattr(ds, "embed_kb", lambda kb: fake_vectors([t for _, t, _ in kb], "kb"))
    monkeypatch.setitem(robustness.SETUPS, "tiny", (lambda: TINY, ("casual",)))
    return TINY


def test_the_tuning_path_runs_on_a_tiny_set(synthetic: ds.Task) -> None:
    result, matches = tune_matcher.evaluate(synthetic)
    assert result["n"] == 3 and 0.0 <= result["accuracy"] <= 1.0
    assert len(matches) == 3 and all(m.ranked for m in matches)
    accuracy, oos_recall = threshold_density.scores(matches, synthetic.queries, 0.1)
    assert 0.0 <= accuracy <= 1.0 and 0.0 <= oos_recall <= 1.0
    rows = robustness.measure("tiny")
    assert [r["perturb"] for r in rows] == ["clean", "casual"]
    assert robustness.table(rows).count("\n") == 3


def test_split_queries_gives_two_seeded_halves_and_the_learned_kb(tmp_path: Path) -> None:
    from tools.split_queries import split, with_learned

    kb = tmp_path / "kb.csv"
    kb.write_text("id,question,answer,language\nrefund,Refund?,We refund.,en\n", "utf-8")
    queries = tmp_path / "q.csv"
    rows = [f"msg {i},{'oos' if i % 3 == 0 else 'refund'},en,x" for i in range(10)]
    queries.write_text("text,label,language,kind\n" + "\n".join(rows) + "\n", "utf-8")
    tune, held = split(queries, tmp_path / "a", seed=5)
    again, _ = split(queries, tmp_path / "b", seed=5)
    assert tune.read_text("utf-8") == again.read_text("utf-8")  # same seed, same halves
    texts = [
        line.split(",")[0] for p in (tune, held) for line in p.read_text("utf-8").splitlines()[1:]
    ]
    assert sorted(texts, key=lambda t: int(t.split()[-1])) == [f"msg {i}" for i in range(10)]
    learned = with_learned(kb, tune, tmp_path / "a").read_text("utf-8").splitlines()
    in_scope = [line for line in tune.read_text("utf-8").splitlines()[1:] if ",refund," in line]
    assert len(learned) == 2 + len(in_scope)
    assert all(line.endswith(",We refund.,en") for line in learned[1:])
