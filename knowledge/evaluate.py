"""The ``cxc eval`` engine: build a throwaway KB from a CSV, ask every labelled query, score it.

Every query goes through ``KnowledgeBase.ask_sync``, the same path as ``/v1/ask``. The index
lives in a temporary folder (embedded Chroma, collection ``eval``) that is deleted afterwards.
KB rows whose id equals the out-of-scope label (e.g. CLINC150's ``oos`` training rows) are
left out of the KB. Column names default to the usual aliases (see ``knowledge.sources``), so
CLINC150 (``text,intent``) and BANKING77 (``text,category``) files work without options.

Metrics (``None`` where the denominator is 0):

* ``accuracy``: in-scope queries whose decision is *answer* or *clarify* and whose top-ranked
  entry is the label; an escalation counts as wrong. A clarify is judged by its top candidate
  (``ranked[0]``): the customer is offered it first.
* ``recall_at_3``, ``mrr``: ranking quality over in-scope queries whatever the decision (the
  matcher ranks three candidates, so ``mrr`` is MRR@3).
* ``oos_recall``: out-of-scope queries escalated; ``oos_precision``: escalated queries that were
  out of scope. ``answered_accuracy``: accuracy over in-scope queries decided *answer*.
* ``escalation_rate`` over all queries; ``latency_ms_p50/p95`` of ``ask_sync`` wall time;
  ``build_seconds``: opening the KB plus ingesting the KB file.

With ``sweep`` thresholds, ``sweep`` lists what accuracy, out-of-scope recall, answered accuracy
and escalation rate would be at each answer threshold (``CXC_ANSWER_THRESHOLD``), so a company
can choose its own trade between answering more and escalating what its KB does not cover. The
same answers are re-decided, not re-asked (``knowledge.matching.decision.decision_at``, exact).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.config import Settings
from core.domain import Answer, Decision
from core.errors import InvalidInput, SourceError
from knowledge.matching.decision import decision_at
from knowledge.retriever import KnowledgeBase, build_knowledge
from knowledge.sources import (
    CsvColumns,
    csv_header,
    csv_rows,
    find_column,
    load_sources,
    read_text,
)

Progress = Callable[[int, int], None]
KEYS = (
    "n",
    "accuracy",
    "recall_at_3",
    "mrr",
    "oos_recall",
    "oos_precision",
    "answered_accuracy",
    "escalation_rate",
    "latency_ms_p50",
    "latency_ms_p95",
    "build_seconds",
)
SWEEP = (0.05, 0.1, 0.15, 0.2, 0.3)  # answer thresholds `cxc eval --sweep` reports
SWEEP_KEYS = ("accuracy", "oos_recall", "answered_accuracy", "escalation_rate")
TEXT_ALIASES = ("text", "query", "question", "utterance", "instruction", "message")
LABEL_ALIASES = ("label", "intent", "category", "id", "entry_id")


@dataclass(frozen=True, slots=True)
class EvalColumns:
    """Column names of the KB and queries files (the ``cxc eval`` options).

    A name left at its default (or ``None``) is looked up by alias, so ``text,intent`` files
    work without options; a name given otherwise must exist. The answer column is optional.
    """

    kb_id: str | None = "id"
    kb_question: str | None = "question"
    kb_answer: str | None = "answer"
    text: str | None = "text"
    label: str | None = "label"
    oos_label: str = "oos"

    def kb_columns(self) -> CsvColumns:
        return CsvColumns(
            id=_explicit(self.kb_id, "id"),
            question=_explicit(self.kb_question, "question"),
            answer=_explicit(self.kb_answer, "answer"),
        )


def _explicit(value: str | None, default: str) -> str | None:
    return None if value is None or value.strip().lower() == default else value


def evaluate(
    kb_path: Path,
    queries_path: Path,
    *,
    columns: EvalColumns,
    settings: Settings,
    progress: Progress | None = None,
    sweep: Sequence[float] = (),
) -> dict[str, Any]:
    """Score the matcher on labelled queries (and at the ``sweep`` answer thresholds and the
    one in force, if any); raises SourceError for unusable files."""
    kb_path = Path(kb_path)
    if kb_path.suffix.lower() in (".csv", ".tsv") and kb_path.is_file():
        header = csv_header(read_text(kb_path), "\t" if kb_path.suffix == ".tsv" else None)
        if find_column(header, "id", None) is None and _explicit(columns.kb_id, "id") is None:
            raise SourceError(
                str(kb_path),
                f"no id column in the header {header}; name the"
                " column that holds the entry ids (--kb-id-col)",
                line=1,
            )
    entries = load_sources([kb_path], columns=columns.kb_columns(), require_answer=False)
    entries = [e for e in entries if e.id != columns.oos_label]
    if not entries:
        raise SourceError(str(kb_path), "no in-scope entries in the knowledge base file")
    queries = read_queries(Path(queries_path), columns)
    with tempfile.TemporaryDirectory(prefix="cxc-eval-") as tmp:
        local = settings.model_copy(
            update={"data_dir": Path(tmp), "chroma_url": None, "chroma_collection": "eval"}
        )
        started = time.perf_counter()
        with build_knowledge(local) as kb:
            kb.ingest_sync(entries)
            build_seconds = time.perf_counter() - started
            threshold = kb.thresholds().answer  # the one in force: its sweep row is this run
            answers, latencies = _ask_all(kb, [text for text, _ in queries], progress)
    labels = [label for _, label in queries]
    result = score(answers, labels, latencies, columns.oos_label, build_seconds)
    if sweep:
        grid = (*sweep, threshold)
        result["sweep"] = sweep_thresholds(answers, labels, columns.oos_label, grid)
    return result


def _ask_all(
    kb: KnowledgeBase, texts: list[str], progress: Progress | None
) -> tuple[list[Answer], list[float]]:
    """Every text through ``ask_sync``, with its wall time in milliseconds."""
    answers, latencies = [], []
    for i, text in enumerate(texts):
        started = time.perf_counter()
        answers.append(kb.ask_sync(text))
        latencies.append((time.perf_counter() - started) * 1e3)
        if progress is not None:
            progress(i + 1, len(texts))
    return answers, latencies


def parse_thresholds(text: str) -> tuple[float, ...]:
    """Answer thresholds from a comma-separated list such as ``"0.05,0.08,0.1"``."""
    values = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            raise InvalidInput(f"answer threshold {part.strip()!r} is not a number from 0 to 1")
        values.append(value)
    return tuple(values)


def _top(answer: Answer) -> float | None:
    return answer.confidence if answer.sources else None


def sweep_thresholds(
    answers: list[Answer], labels: list[str], oos_label: str, thresholds: Sequence[float]
) -> list[dict[str, Any]]:
    """One row per answer threshold: the metrics of ``SWEEP_KEYS`` at that threshold."""
    rows = []
    for threshold in sorted(set(thresholds)):
        decided = [
            replace(a, decision=decision_at(a.decision, _top(a), threshold)) for a in answers
        ]
        metrics = score(decided, labels, [], oos_label, 0.0)
        rows.append({"answer_threshold": threshold, **{k: metrics[k] for k in SWEEP_KEYS}})
    return rows


def read_queries(path: Path, columns: EvalColumns) -> list[tuple[str, str]]:
    """(text, label) pairs from the queries CSV."""
    text = read_text(path) if path.is_file() else None
    if text is None:
        raise SourceError(str(path), "file not found")
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    header = csv_header(text)
    names = []
    for explicit, aliases, what in (
        (columns.text, TEXT_ALIASES, "text"),
        (columns.label, LABEL_ALIASES, "label"),
    ):
        lowered = {h.strip().lower(): h for h in header}
        given = _explicit(explicit, what)
        wanted = [given] if given else list(aliases)
        name = next((lowered[a.lower()] for a in wanted if a.lower() in lowered), None)
        if name is None:
            raise SourceError(
                str(path), f"no {what} column {'/'.join(wanted)!r} in the header {header}", line=1
            )
        names.append(name)
    if names[0] == names[1]:
        raise SourceError(str(path), f"text and label are the same column {names[0]!r}", line=1)
    pairs = []
    for line, row in csv_rows(path, text):
        query, label = (row.get(names[0]) or "").strip(), (row.get(names[1]) or "").strip()
        if not query or not label:
            raise SourceError(
                str(path), f"row has an empty {'text' if not query else 'label'}", line=line
            )
        pairs.append((query, label))
    if not pairs:
        raise SourceError(str(path), "no data rows under the header", line=1)
    return pairs


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def score(
    answers: list[Answer],
    labels: list[str],
    latencies: list[float],
    oos_label: str,
    build_seconds: float,
) -> dict[str, Any]:
    """The metrics of ``KEYS`` from answers and their gold labels (see the module doc)."""
    in_scope = [(a, y) for a, y in zip(answers, labels, strict=True) if y != oos_label]
    oos = [a for a, y in zip(answers, labels, strict=True) if y == oos_label]
    escalated = [y for a, y in zip(answers, labels, strict=True) if a.decision == Decision.ESCALATE]

    def ranked(a: Answer) -> list[str]:
        return [s.entry_id for s in a.sources]

    def top1(a: Answer, y: str) -> bool:
        return a.decision != Decision.ESCALATE and ranked(a)[:1] == [y]

    answered = [(a, y) for a, y in in_scope if a.decision == Decision.ANSWER]
    rr = [1.0 / (ranked(a).index(y) + 1) if y in ranked(a)[:3] else 0.0 for a, y in in_scope]
    result: dict[str, Any] = {
        "n": len(answers),
        "accuracy": _share(sum(top1(a, y) for a, y in in_scope), len(in_scope)),
        "recall_at_3": _share(sum(y in ranked(a)[:3] for a, y in in_scope), len(in_scope)),
        "mrr": round(float(np.mean(rr)), 4) if rr else None,
        "oos_recall": _share(sum(a.decision == Decision.ESCALATE for a in oos), len(oos)),
        "oos_precision": _share(sum(y == oos_label for y in escalated), len(escalated)),
        "answered_accuracy": _share(sum(top1(a, y) for a, y in answered), len(answered)),
        "escalation_rate": _share(len(escalated), len(answers)),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
        "build_seconds": round(build_seconds, 2),
    }
    assert tuple(result) == KEYS
    return result


__all__ = [
    "KEYS",
    "SWEEP",
    "EvalColumns",
    "evaluate",
    "parse_thresholds",
    "read_queries",
    "score",
    "sweep_thresholds",
]
