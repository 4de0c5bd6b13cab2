"""The matcher's value types and its decision rule: answer, clarify or escalate.

``decide`` compares the calibrated scores of the top candidates with the thresholds
(docs/retrieval.md, "Decision").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.domain import Answer, Candidate, Decision, FaqEntry, Source

QUERY_KINDS = ("question", "learned")  # phrasing kinds a customer's question looks like


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


ANSWER_THRESHOLD = 0.15  # answer threshold when none is configured ...
RICH_ANSWER_THRESHOLD = 0.08  # ... and for a KB this rich in phrasings:
RICH_PHRASINGS = 80  # median question phrasings per entry (docs/retrieval.md, "Default thresholds")


def answer_threshold(configured: float | None, phrasings_per_entry: float) -> float:
    """The answer threshold of a KB: ``configured`` (``CXC_ANSWER_THRESHOLD``) when set.

    The default was chosen on validation splits with the product's escalation target (the
    lowest threshold that still escalates 80% of out-of-scope questions): with many phrasings per
    entry the self-trained calibration is conservative and 0.08 keeps that recall; with few
    it is not, and those KBs keep 0.15 (docs/retrieval.md, "Default thresholds").
    """
    if configured is not None:
        return configured
    return RICH_ANSWER_THRESHOLD if phrasings_per_entry >= RICH_PHRASINGS else ANSWER_THRESHOLD


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


def decision_at(decision: Decision, top: float | None, threshold: float) -> Decision:
    """What :func:`decide` gave ``decision`` would be at another answer threshold; ``top``: the
    top score (None: no candidates).

    Exact: which candidates count as close does not depend on the answer threshold, so a
    clarify stays a clarify, and any other decision is *answer* when the top score reaches the
    threshold and *escalate* otherwise (``cxc eval --sweep`` re-decides its answers with it).
    """
    if decision == Decision.CLARIFY or top is None:
        return decision
    return Decision.ANSWER if top >= threshold else Decision.ESCALATE


def to_answer(
    match: Match,
    entries: dict[str, FaqEntry],
    language: str | None,
    timings: dict[str, float],
) -> Answer:
    """The ``Answer`` for a match: on *escalate* no text or entry, so nothing is sent by
    mistake; ``sources`` and ``candidates`` always list the ranked entries.

    A source's or candidate's ``question`` is the entry's own first question, never the
    phrasing that matched: a learned phrasing is a customer's words, and an answer is shown to
    other customers and anonymous callers."""
    ranked = [r for r in match.ranked if r.entry_id in entries]
    sources = tuple(
        Source(r.entry_id, title(entries[r.entry_id]), r.score, "faq", entries[r.entry_id].source)
        for r in ranked
    )
    candidates = tuple(
        Candidate(
            r.entry_id, title(entries[r.entry_id]), entries[r.entry_id].answer_in(language), r.score
        )
        for r in ranked
    )
    top = ranked[0] if ranked and match.decision != Decision.ESCALATE else None
    return Answer(
        text=entries[top.entry_id].answer_in(language) if top else "",
        entry_id=top.entry_id if top else None,
        confidence=match.confidence,
        decision=match.decision if ranked else Decision.ESCALATE,
        sources=sources,
        candidates=candidates,
        language=language,
        timings_ms={k: round(v, 2) for k, v in timings.items()},
    )


def title(entry: FaqEntry) -> str:
    """What an entry is called in front of a customer: its first question from the source."""
    return entry.questions[0] if entry.questions else entry.id
