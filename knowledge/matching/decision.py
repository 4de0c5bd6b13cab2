"""The matcher's value types and its decision rule: answer, clarify or escalate.

``decide`` compares the calibrated scores of the top candidates with the thresholds
(docs/retrieval.md, "Decision").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from core.domain import Answer, Candidate, Decision, FaqEntry, Source
from knowledge.matching.text import detect_language

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
    contested: bool = False
    """Two or three candidates too close to choose between (:func:`contested`)."""


ANSWER_THRESHOLD = 0.4  # answer threshold when none is configured ...
RICH_ANSWER_THRESHOLD = 0.08  # ... and for a KB this rich in phrasings:
RICH_PHRASINGS = 80  # median question phrasings per entry (docs/retrieval.md, "Default thresholds")
DEFAULT_STACKER_THRESHOLD = 0.15  # ... and for a KB too small to train its own stacker
OFFER_THRESHOLD = 0.05  # offer the top candidates from this score up (trained, not rich KBs)


def answer_threshold(
    configured: float | None, phrasings_per_entry: float, *, calibrated: bool = True
) -> float:
    """The answer threshold of a KB: ``configured`` (``CXC_ANSWER_THRESHOLD``) when set.

    With many phrasings per entry the self-trained calibration is conservative and 0.08 keeps
    the product's escalation target (80% of out-of-scope questions escalated). A company FAQ
    with 2-3 phrasings per entry is where customers' own words differ most from the KB's, and
    there 0.4 keeps wrong answers under 4% of the messages on both development sets; what falls
    below it is offered as choices (``offer_threshold``), not escalated (docs/retrieval.md,
    "Default thresholds"). A KB too small to train its own stacker (``calibrated`` False) scores
    with the default one and keeps 0.15.
    """
    if configured is not None:
        return configured
    if phrasings_per_entry >= RICH_PHRASINGS:
        return RICH_ANSWER_THRESHOLD
    return ANSWER_THRESHOLD if calibrated else DEFAULT_STACKER_THRESHOLD


def offer_threshold(
    configured: float | None, phrasings_per_entry: float, answer: float, *, calibrated: bool = True
) -> float:
    """The lowest top score at which an unsure bot offers its top candidates as choices (the
    first step of the two-step fallback) instead of handing over: ``configured``
    (``CXC_OFFER_THRESHOLD``) when set; for a rich KB, or one scored by the default stacker
    (not ``calibrated`` on itself), the answer threshold (no second step), else
    ``OFFER_THRESHOLD``."""
    if configured is not None:
        return min(configured, answer)
    if phrasings_per_entry >= RICH_PHRASINGS or not calibrated:
        return answer
    return min(OFFER_THRESHOLD, answer)


@dataclass(frozen=True)
class Thresholds:
    answer: float
    clarify: float
    margin: float
    offer: float = 1.0
    """Clarify with the top candidates whenever the top score reaches this (1.0: never)."""


def decide(scores: Sequence[float], thresholds: Thresholds, ties: Sequence[bool] = ()) -> Decision:
    """answer when the top is sure and alone; clarify when 2-3 are close, or when the top is
    unsure but reaches ``offer``; else escalate.

    ``ties[i]`` marks candidate ``i`` as a near-duplicate of the top one (its best phrasing is
    as similar to the query): it counts as close whatever the score margin, if above clarify.
    """
    if not scores:
        return Decision.ESCALATE
    top = scores[0]
    if contested(scores, thresholds, ties):
        return Decision.CLARIFY
    if top >= thresholds.answer:
        return Decision.ANSWER
    return Decision.CLARIFY if top >= thresholds.offer else Decision.ESCALATE


def contested(scores: Sequence[float], thresholds: Thresholds, ties: Sequence[bool] = ()) -> bool:
    """Whether two or three of the top candidates are too close to choose between: above the
    clarify threshold and within the margin of the top, or tied with it. Independent
    of the answer threshold."""
    if not scores:
        return False
    top, ties = scores[0], list(ties) + [False] * len(scores)
    close = [
        s
        for i, s in enumerate(scores[:3])
        if s >= thresholds.clarify and (top - s <= thresholds.margin or ties[i])
    ]
    return len(close) >= 2


def decision_at(
    decision: Decision,
    top: float | None,
    threshold: float,
    *,
    offer: float = 1.0,
    is_contested: bool = False,
) -> Decision:
    """What :func:`decide` gave ``decision`` would be at another answer threshold (the offer
    threshold kept); ``top``: the top score (None: no candidates); ``is_contested``: the
    candidates were too close to choose (:func:`contested`).

    Exact: which candidates count as close does not depend on the answer threshold, so a
    contested clarify stays a clarify, and any other decision is *answer* when the top score
    reaches the threshold, *clarify* when it reaches ``offer`` and *escalate* otherwise
    (``cxc eval --sweep`` re-decides its answers with it).
    """
    if top is None:
        return decision
    if is_contested:
        return Decision.CLARIFY
    if top >= threshold:
        return Decision.ANSWER
    return Decision.CLARIFY if top >= offer else Decision.ESCALATE


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
        Source(
            r.entry_id,
            title(entries[r.entry_id], language),
            r.score,
            "faq",
            entries[r.entry_id].source,
        )
        for r in ranked
    )
    candidates = tuple(
        Candidate(
            r.entry_id,
            title(entries[r.entry_id], language),
            entries[r.entry_id].answer_in(language),
            r.score,
        )
        for r in ranked
    )
    top = ranked[0] if ranked and match.decision != Decision.ESCALATE else None
    return Answer(
        text=entries[top.entry_id].answer_in(language) if top else "",
        text_language=entries[top.entry_id].answer_language(language) if top else None,
        entry_id=top.entry_id if top else None,
        confidence=match.confidence,
        decision=match.decision if ranked else Decision.ESCALATE,
        contested=match.contested,
        sources=sources,
        candidates=candidates,
        language=language,
        timings_ms={k: round(v, 2) for k, v in timings.items()},
    )


def title(entry: FaqEntry, language: str | None = None) -> str:
    """What an entry is called in front of a customer: its first question from the source in
    ``language`` when it has one (a clarify button in the customer's language), else its first
    question."""
    first = entry.questions[0] if entry.questions else entry.id
    return _first_by_language(entry).get(language, first) if language else first


@lru_cache(maxsize=8192)
def _first_by_language(entry: FaqEntry) -> dict[str | None, str]:
    """Each language's first question of ``entry``, found once per entry: detecting the
    language of every question on every query cost 2.6 ms per candidate on a BANKING77 entry
    (127 questions) asked in another language."""
    found: dict[str | None, str] = {}
    for question in entry.questions:
        found.setdefault(detect_language(question), question)
    return found
