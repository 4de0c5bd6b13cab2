"""The matcher's value types and its decision rule: answer, clarify or escalate.

``decide`` compares the calibrated scores of the top candidates with the thresholds
(docs/retrieval.md, "Decision"); ``knowledge.matcher`` re-exports everything here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.domain import Decision


@dataclass(frozen=True, slots=True)
class Phrasing:
    key: str
    entry_id: str
    text: str
    kind: str  # "question" | "answer" | "tags" | "learned"


@dataclass(frozen=True, slots=True)
class Ranked:
    entry_id: str
    score: float
    phrasing: str


@dataclass(frozen=True, slots=True)
class Match:
    decision: Decision
    confidence: float
    ranked: tuple[Ranked, ...]
    language: str | None


@dataclass(frozen=True)
class Thresholds:
    answer: float
    clarify: float
    margin: float


def decide(scores: Sequence[float], thresholds: Thresholds, ties: Sequence[bool] = ()) -> Decision:
    """answer when the top is sure and alone; clarify when 2-3 are close; else escalate.

    ``ties[i]`` marks candidate ``i`` as a near-duplicate of the top one (its best phrasing is
    as similar to the query): it counts as close whatever the score margin, if above clarify.
    """
    if not scores:
        return Decision.ESCALATE
    top = scores[0]
    ties = list(ties) + [False] * len(scores)
    close = [
        s
        for i, s in enumerate(scores[:3])
        if s >= thresholds.clarify and (top - s <= thresholds.margin or ties[i])
    ]
    if top >= thresholds.answer and len(close) <= 1:
        return Decision.ANSWER
    if len(close) >= 2:
        return Decision.CLARIFY
    return Decision.ESCALATE
