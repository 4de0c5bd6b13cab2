"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.domain import Answer


class AskRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000, description="The customer's question.")
    customer_ref: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=16)
    language: str | None = Field(default=None, max_length=8)


class SourceOut(BaseModel):
    entry_id: str
    question: str
    score: float
    kind: str


class CandidateOut(BaseModel):
    entry_id: str
    question: str
    answer: str
    score: float


class AskResponse(BaseModel):
    text: str
    entry_id: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    decision: str = Field(description="answer | clarify | escalate")
    sources: list[SourceOut]
    candidates: list[CandidateOut]
    language: str | None
    timings_ms: dict[str, float]
    reason: str | None = Field(
        default=None,
        description="why it escalated without an answer: asked_for_person, legal_threat, "
        "harm, angry (the message must go to a person), or an empty knowledge base",
    )
    composed_by: str | None = Field(
        default=None,
        description="the language model that rewrote the text from the retrieved entries "
        "(null: the entry's own answer)",
    )

    @classmethod
    def of(cls, answer: Answer) -> AskResponse:
        return cls(
            text=answer.text,
            entry_id=answer.entry_id,
            confidence=answer.confidence,
            decision=answer.decision.value,
            sources=[
                SourceOut(entry_id=s.entry_id, question=s.question, score=s.score, kind=s.kind)
                for s in answer.sources
            ],
            candidates=[
                CandidateOut(
                    entry_id=c.entry_id, question=c.question, answer=c.answer, score=c.score
                )
                for c in answer.candidates
            ],
            language=answer.language,
            timings_ms=answer.timings_ms,
            reason=answer.reason,
            composed_by=answer.composed_by,
        )
