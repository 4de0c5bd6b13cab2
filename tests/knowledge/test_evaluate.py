"""The ``cxc eval`` engine: metric keys and hand-checkable values; bad files are SourceErrors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.domain import Answer, Candidate, Decision, Source
from core.errors import SourceError
from knowledge.evaluate import EvalColumns, evaluate
from knowledge.matching.decision import (
    DEFAULT_STACKER_THRESHOLD,
    Thresholds,
    contested,
    decide,
    decision_at,
)
from knowledge.scores import KEYS, SWEEP_KEYS, score, write_misses
from tests.knowledge.conftest import write

KB = """text,intent
How long does delivery take?,delivery
When will my order arrive?,delivery
Сколько идёт доставка?,delivery
How do I get a refund?,refund
I want my money back,refund
Как вернуть деньги?,refund
My promo code does not work,promo
How do I use a coupon?,promo
Промокод не работает,promo
How do I cancel my order?,cancel
I want to cancel my purchase,cancel
Как отменить заказ?,cancel
What is the meaning of life?,oos
"""

QUERIES = """text,label
When will my order arrive?,delivery
I want my money back,refund
Промокод не работает,promo
How do I cancel my order?,cancel
What is the best pizza recipe?,oos
Who won the football world cup in 1998?,oos
"""


def test_metrics_on_a_tiny_kb(settings: Settings, tmp_path: Path) -> None:
    kb = write(tmp_path / "kb.csv", KB)
    queries = write(tmp_path / "q.csv", QUERIES)
    seen: list[tuple[int, int]] = []
    result = evaluate(
        kb,
        queries,
        columns=EvalColumns(),
        settings=settings,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert result.pop("misses") == []
    assert tuple(result) == KEYS
    assert result["n"] == 6
    # in-scope queries are KB phrasings; the out-of-scope ones are far from every entry
    assert result["accuracy"] == result["answered_accuracy"] == 1.0
    assert result["recall_at_3"] == result["mrr"] == 1.0
    assert result["oos_recall"] == result["oos_precision"] == 1.0
    assert result["escalation_rate"] == round(2 / 6, 4)
    assert 0 < result["latency_ms_p50"] <= result["latency_ms_p95"]
    assert result["build_seconds"] > 0
    assert seen[-1] == (6, 6) and len(seen) == 6
    assert not settings.data_dir.exists()  # the throwaway index lived elsewhere


def test_sweep_rescores_the_same_answers(settings: Settings, tmp_path: Path) -> None:
    kb = write(tmp_path / "kb.csv", KB)
    queries = write(tmp_path / "q.csv", QUERIES)
    grid = (0.999, DEFAULT_STACKER_THRESHOLD, 0.01)  # the tiny KB's threshold
    result = evaluate(kb, queries, columns=EvalColumns(), settings=settings, sweep=grid)
    rows = {row["answer_threshold"]: row for row in result.pop("sweep")}
    result.pop("misses")
    assert tuple(result) == KEYS
    assert list(rows) == sorted(grid)
    assert all(tuple(row) == ("answer_threshold", *SWEEP_KEYS) for row in rows.values())
    # the configured threshold's row is the run itself
    here = rows[DEFAULT_STACKER_THRESHOLD]
    assert {k: here[k] for k in SWEEP_KEYS} == {k: result[k] for k in SWEEP_KEYS}
    # a higher bar escalates at least as much; a near-certain one escalates the in-scope too
    # (a KB this small scores with the default stacker: no offer step)
    rates = [row["escalation_rate"] for row in rows.values()]
    assert rates == sorted(rates)
    assert rows[0.999]["accuracy"] < result["accuracy"]


def test_decision_at_agrees_with_decide_at_every_threshold() -> None:
    rng = np.random.default_rng(7)
    grid = (0.02, 0.05, 0.1, 0.15, 0.3, 0.6)
    seen = set()
    for _ in range(3000):
        scores = sorted((rng.uniform(0, 1, 3) ** rng.uniform(0.5, 4)).tolist(), reverse=True)
        ties = (rng.random(3) < 0.2).tolist()
        clarify, margin = float(rng.choice([0.05, 0.1])), float(rng.choice([0.05, 0.1, 0.2]))
        offer = float(rng.choice([0.03, 0.08, 1.0]))
        here = Thresholds(float(rng.choice(grid)), clarify, margin, offer)
        first, close = decide(scores, here, ties), contested(scores, here, ties)
        for threshold in grid:
            expected = decide(scores, Thresholds(threshold, clarify, margin, offer), ties)
            got = decision_at(first, scores[0], threshold, offer=offer, is_contested=close)
            assert got == expected
            seen.add(expected)
    assert seen == set(Decision)
    # no candidates: escalated at any threshold, as decide([]) is
    assert decide([], Thresholds(0.0, 0.0, 0.0)) == decision_at(Decision.ESCALATE, None, 0.0)


def _answer(decision: Decision, ranked: list[str]) -> Answer:
    sources = tuple(Source(e, "q", 1.0 - i / 10) for i, e in enumerate(ranked))
    candidates = tuple(Candidate(e, "q", "x", 1.0 - i / 10) for i, e in enumerate(ranked))
    entry = ranked[0] if decision != Decision.ESCALATE else None
    return Answer("x" if entry else "", entry, 0.9, decision, sources, candidates)


def test_score_definitions_by_hand() -> None:
    answers = [
        _answer(Decision.ANSWER, ["a", "b", "c"]),  # right, answered
        _answer(Decision.ANSWER, ["b", "a", "c"]),  # wrong, rank 2
        _answer(Decision.CLARIFY, ["c", "b", "a"]),  # clarify judged by ranked[0]: right
        _answer(Decision.ESCALATE, ["d", "a", "b"]),  # escalation is wrong; rank 2 counts
        _answer(Decision.ESCALATE, ["a", "b", "c"]),  # oos escalated
        _answer(Decision.ANSWER, ["a", "b", "c"]),  # oos answered
        _answer(Decision.CLARIFY, ["b", "e", "a"]),  # clarify, right entry third: self-served
    ]
    labels = ["a", "a", "c", "a", "oos", "oos", "a"]
    result = score(answers, labels, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], "oos", 1.234)
    assert result == {
        "n": 7,
        "accuracy": 0.4,  # a, c right of 5 in scope
        "recall_at_3": 1.0,
        "mrr": round((1 + 0.5 + 1 + 0.5 + 1 / 3) / 5, 4),
        "oos_recall": 0.5,
        "oos_precision": 0.5,  # 2 escalated, 1 of them oos
        "answered_accuracy": 0.5,  # of the 2 in-scope answers, 1 right
        "escalation_rate": round(2 / 7, 4),
        "wrong_answer_rate": round(2 / 7, 4),  # the wrong in-scope answer and the oos answer
        "self_service_rate": round(3 / 5, 4),  # answered right, and both clarifies offer it
        "latency_ms_p50": 4.0,
        "latency_ms_p95": 6.7,
        "build_seconds": 1.23,
    }
    empty = score([_answer(Decision.ANSWER, ["a"])], ["a"], [1.0], "oos", 0.0)
    assert empty["oos_recall"] is None and empty["oos_precision"] is None


@pytest.mark.parametrize(
    ("kb_text", "q_text", "columns", "bad", "match"),
    [
        (KB, "query,intent\nhi,delivery\n", EvalColumns(text="message"), "q", "no text column"),
        (KB, "text,tag\nhi,delivery\n", EvalColumns(), "q", "no label column"),
        (KB, "", EvalColumns(), "q", "file is empty"),
        (KB, "text,label\n", EvalColumns(), "q", "no data rows"),
        (KB, 'text,label\n"hi,delivery\n', EvalColumns(), "q", "malformed CSV|fields"),
        ("intent,answer\nx,y\n", QUERIES, EvalColumns(), "kb", "no question column"),
        ("question,answer\nx?,y\n", QUERIES, EvalColumns(), "kb", "no id column"),
        (KB, QUERIES, EvalColumns(kb_answer="response"), "kb", "no column 'response'"),
        ("text,intent\nmeaning?,oos\n", QUERIES, EvalColumns(), "kb", "no in-scope entries"),
    ],
)
def test_bad_files_raise_source_error(
    settings: Settings,
    tmp_path: Path,
    kb_text: str,
    q_text: str,
    columns: EvalColumns,
    bad: str,
    match: str,
) -> None:
    kb = write(tmp_path / "kb.csv", kb_text)
    queries = write(tmp_path / "q.csv", q_text)
    with pytest.raises(SourceError, match=match) as err:
        evaluate(kb, queries, columns=columns, settings=settings)
    assert err.value.path == str(kb if bad == "kb" else queries)


def test_missing_queries_file(settings: Settings, tmp_path: Path) -> None:
    kb = write(tmp_path / "kb.csv", KB)
    with pytest.raises(SourceError, match="file not found"):
        evaluate(kb, tmp_path / "none.csv", columns=EvalColumns(), settings=settings)


def test_groups_and_misses(settings: Settings, tmp_path: Path) -> None:
    kb = write(tmp_path / "kb.csv", KB)
    queries = write(
        tmp_path / "q.csv",
        "text,label,kind,language\n"
        "When will my order arrive?,delivery,paraphrase,en\n"
        "Как отменить заказ?,cancel,paraphrase,ru\n"
        "позовите оператора немедленно,refund,situation,ru\n"  # labelled in scope: escalates
        "What is the best pizza recipe?,oos,oos_topic,en\n",
    )
    result = evaluate(
        kb, queries, columns=EvalColumns(), settings=settings, group_by=("kind", "language")
    )
    groups = {(g["kind"], g["language"]): g for g in result["groups"]}
    assert set(groups) == {
        ("paraphrase", "en"),
        ("paraphrase", "ru"),
        ("situation", "ru"),
        ("oos_topic", "en"),
    }
    assert groups[("paraphrase", "ru")]["n"] == 1 and groups[("paraphrase", "ru")]["accuracy"] == 1
    assert groups[("situation", "ru")]["accuracy"] == 0.0
    [miss] = result["misses"]  # a request for a person escalates before the KB is asked
    assert miss["miss"] == "needless_escalation" and miss["kind"] == "situation"
    assert miss["decision"] == "escalate" and miss["chosen"] is None
    out = tmp_path / "misses.csv"
    write_misses(out, result["misses"])
    header = out.read_text("utf-8").splitlines()[0]
    assert header == "text,label,miss,kind,language,decision,chosen,confidence,offered"
