"""Plain domain value types shared across packages (no persistence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Decision(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One knowledge-base entry: several phrasings of one question and its answer."""

    id: str
    questions: tuple[str, ...]
    answer: str = ""
    language: str | None = None
    tags: tuple[str, ...] = ()
    source: str = ""
    translations: tuple[tuple[str, str], ...] = ()
    """(language, answer) pairs: the same answer in other languages."""

    def answer_in(self, language: str | None) -> str:
        """The answer in ``language`` when the entry has it, else the primary answer."""
        for lang, text in self.translations:
            if lang == language and text:
                return text
        return self.answer

    def answer_language(self, language: str | None) -> str | None:
        """The language :meth:`answer_in` answers ``language`` in (None: not known)."""
        if any(lang == language and text for lang, text in self.translations):
            return language
        return self.language


@dataclass(frozen=True, slots=True)
class Source:
    """Where an answer came from."""

    entry_id: str
    question: str
    score: float
    kind: str = "faq"
    location: str = ""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked knowledge entry for a question."""

    entry_id: str
    question: str
    answer: str
    score: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The knowledge base's reply to one question, with the decision what to do with it."""

    text: str
    entry_id: str | None
    confidence: float
    decision: Decision
    sources: tuple[Source, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    language: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    text_language: str | None = None
    """The language ``text`` is written in, when known: the entry's own language when it has no
    translation into the one asked for (the front end says so to the customer)."""
    contested: bool = False
    """Two or three candidates were too close to choose between (so it clarifies at any answer
    threshold)."""
    reason: str | None = None
    """Why it escalates without an answer that is not the question's fault: the message must go
    to a person (``core.conversation.handover``), or the knowledge base is empty."""
    composed_by: str | None = None
    """The language model that rewrote ``text`` from the retrieved entries (None: the entry's
    own answer, as retrieved; ``core.grounding.compose``)."""


@dataclass(frozen=True, slots=True)
class AnswerChange:
    """A phrasing whose answer would change: the entry that answers it before and after
    (None: not answered; it would clarify or escalate)."""

    text: str
    entry_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class PhrasingCheck:
    """What adding a phrasing to an entry would do, found before it is added: the entry the
    phrasing itself would be answered with, and the known phrasings (the entry's own, and
    those of its nearest entries) whose answer would change."""

    entry_id: str
    text: str
    answered_by: str | None
    changes: tuple[AnswerChange, ...] = ()

    @property
    def safe(self) -> bool:
        return self.answered_by == self.entry_id and not self.changes

    def reason(self) -> str:
        """Why the phrasing may not be added, for a person (empty when it is safe)."""
        parts = []
        if self.answered_by != self.entry_id:
            got = self.answered_by or "no answer"
            parts.append(f"{self.text!r} would be answered by {got}, not {self.entry_id}")
        for c in self.changes:
            was, now = c.before or "no answer", c.after or "no answer"
            parts.append(f"{c.text!r} (a phrasing of {c.entry_id}) would go from {was} to {now}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an ingestion run changed."""

    entries: int
    phrasings: int
    added: int
    updated: int
    skipped: int
    deleted: int
    seconds: float


MATCH_MAX_CHARS = 300
"""The default of ``Settings.match_max_chars``."""


def match_text(text: str, limit: int = MATCH_MAX_CHARS) -> str:
    """What of ``text`` is matched: all of it when short, else its first and last ``limit / 2``
    characters (the question is most often at the start of a message, the latest words of a
    conversation at its end). Matching a 5-million-character text costs minutes of CPU."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n{text[-half:]}"


@dataclass(frozen=True, slots=True)
class StoreStatus:
    """Whether the vector store answers: ``mode`` is ``embedded`` (on this machine's disk) or
    ``server`` (a Chroma server); ``detail`` says why it does not."""

    mode: str
    up: bool
    detail: str | None = None
