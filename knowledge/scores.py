"""The metrics of ``cxc eval``, from answers and their gold labels (``None`` where the
denominator is 0):

* ``accuracy``: in-scope queries whose decision is *answer* or *clarify* and whose top-ranked
  entry is the label; an escalation counts as wrong. A clarify is judged by its top candidate
  (``ranked[0]``): the customer is offered it first.
* ``recall_at_3``, ``mrr``: ranking quality over in-scope queries whatever the decision (the
  matcher ranks three candidates, so ``mrr`` is MRR@3).
* ``oos_recall``: out-of-scope queries escalated; ``oos_precision``: escalated queries that were
  out of scope. ``answered_accuracy``: accuracy over in-scope queries decided *answer*.
* ``escalation_rate`` over all queries; ``latency_ms_p50/p95`` of the ask wall time;
  ``build_seconds``: opening the KB plus ingesting the KB file.
* ``wrong_answer_rate``: the harm, over all queries: in-scope queries *answered* with a wrong
  entry plus out-of-scope queries answered. ``self_service_rate``: in-scope queries answered
  right, or clarified with the right entry among the offered choices, over in-scope queries.

``score_groups`` gives the same metrics per group of queries (``--group-by kind,language``);
``misses`` lists every wrong answer, wrong clarify and needless escalation (``--misses``).

``sweep_thresholds`` lists what accuracy, out-of-scope recall, answered accuracy and escalation
rate would be at other answer thresholds (``CXC_ANSWER_THRESHOLD``), so a company can choose
its own trade between answering more and escalating what its KB does not cover. The same
answers are re-decided, not re-asked (``knowledge.matching.decision.decision_at``, exact).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from core.domain import Answer, Decision
from knowledge.matching.decision import decision_at


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    label: str
    extra: dict[str, str]
    """The ``group_by`` columns of its row."""


KEYS = (
    "n",
    "accuracy",
    "recall_at_3",
    "mrr",
    "oos_recall",
    "oos_precision",
    "answered_accuracy",
    "escalation_rate",
    "wrong_answer_rate",
    "self_service_rate",
    "latency_ms_p50",
    "latency_ms_p95",
    "build_seconds",
)


SWEEP = (0.05, 0.1, 0.15, 0.2, 0.3)  # answer thresholds `cxc eval --sweep` reports


SWEEP_KEYS = ("accuracy", "oos_recall", "answered_accuracy", "escalation_rate")


def _top(answer: Answer) -> float | None:
    return answer.confidence if answer.sources else None


def sweep_thresholds(
    answers: list[Answer],
    labels: list[str],
    oos_label: str,
    thresholds: Sequence[float],
    *,
    offer: float = 1.0,
) -> list[dict[str, Any]]:
    """One row per answer threshold (the ``offer`` threshold kept): the metrics of
    ``SWEEP_KEYS`` at that threshold."""
    rows = []
    for threshold in sorted(set(thresholds)):
        decided = [
            replace(
                a,
                decision=decision_at(
                    a.decision, _top(a), threshold, offer=offer, is_contested=a.contested
                ),
            )
            for a in answers
        ]
        metrics = score(decided, labels, [], oos_label, 0.0)
        rows.append({"answer_threshold": threshold, **{k: metrics[k] for k in SWEEP_KEYS}})
    return rows


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
        "wrong_answer_rate": _share(
            sum(a.decision == Decision.ANSWER for a in oos)
            + sum(a.decision == Decision.ANSWER and ranked(a)[:1] != [y] for a, y in in_scope),
            len(answers),
        ),
        "self_service_rate": _share(sum(_served(a, y) for a, y in in_scope), len(in_scope)),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2) if latencies else None,
        "build_seconds": round(build_seconds, 2),
    }
    assert tuple(result) == KEYS
    return result


def _served(answer: Answer, label: str) -> bool:
    """Answered right, or clarified with the right entry among the choices offered."""
    if answer.decision == Decision.ANSWER:
        return answer.entry_id == label
    offered = [c.entry_id for c in answer.candidates[:3]]
    return answer.decision == Decision.CLARIFY and label in offered


def score_groups(
    queries: list[Query],
    answers: list[Answer],
    latencies: list[float],
    oos_label: str,
    group_by: Sequence[str],
) -> list[dict[str, Any]]:
    """The metrics per group of queries sharing the ``group_by`` columns' values."""
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, query in enumerate(queries):
        groups.setdefault(tuple(query.extra[c] for c in group_by), []).append(i)
    rows = []
    for key, rows_at in sorted(groups.items()):
        metrics = score(
            [answers[i] for i in rows_at],
            [queries[i].label for i in rows_at],
            [latencies[i] for i in rows_at],
            oos_label,
            0.0,
        )
        metrics.pop("build_seconds")
        rows.append({**dict(zip(group_by, key, strict=True)), **metrics})
    return rows


MISS_COLUMNS = ("text", "label", "miss", "decision", "chosen", "confidence", "offered")


GROUP_TABLE = (
    "n",
    "accuracy",
    "self_service_rate",
    "oos_recall",
    "wrong_answer_rate",
    "escalation_rate",
)
"""The per-group columns ``cxc eval`` prints as a table (the JSON has every metric)."""


def write_misses(path: Path, rows: list[dict[str, Any]]) -> None:
    """The misses as CSV: the fixed columns, then the group columns."""
    extra = [k for k in (rows[0] if rows else {}) if k not in MISS_COLUMNS]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*MISS_COLUMNS[:3], *extra, *MISS_COLUMNS[3:]])
        writer.writeheader()
        writer.writerows(rows)


def misses(queries: list[Query], answers: list[Answer], oos_label: str) -> list[dict[str, Any]]:
    """Every wrong answer, wrong clarify and needless escalation, with what was chosen."""
    rows = []
    for query, answer in zip(queries, answers, strict=True):
        top = answer.sources[0].entry_id if answer.sources else None
        oos = query.label == oos_label
        if answer.decision == Decision.ESCALATE:
            kind = None if oos else "needless_escalation"
        elif oos:
            kind = f"out_of_scope_{answer.decision.value}"
        elif top != query.label:
            kind = f"wrong_{answer.decision.value}"
        else:
            kind = None
        if kind is not None:
            offered = " | ".join(c.entry_id for c in answer.candidates[:3])
            chosen = top if answer.decision != Decision.ESCALATE else None
            rows.append(
                {
                    "text": query.text,
                    "label": query.label,
                    "miss": kind,
                    **query.extra,
                    "decision": answer.decision.value,
                    "chosen": chosen,
                    "confidence": round(answer.confidence, 4),
                    "offered": offered,
                }
            )
    return rows
