"""The bodies of GET /v1/cases/{id}/suggestions and POST /v1/cases/{id}/suggestions/accept."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from copilot.operator_schemas import CompensationOut, PromiseOut
from core.desk.similar_cases import Resolution
from core.desk.suggestions import Suggestions
from core.privacy import Disclosure


class ResolutionOut(BaseModel):
    kind: str
    title: str
    text: str
    score: float
    code: str | None
    sources: list[dict[str, Any]]
    outcome: dict[str, Any]

    @classmethod
    def of(cls, r: Resolution, shown: Disclosure) -> ResolutionOut:
        """Another case's text is already a masked summary (``core.desk.similar_cases``)."""
        return cls(
            kind=r.kind,
            title=shown.text(r.title),
            text=shown.text(r.text),
            score=r.score,
            code=r.code,
            sources=r.sources,
            outcome=r.outcome,
        )


class OfferItemOut(BaseModel):
    type: str
    amount: float
    value: float


class OfferOut(BaseModel):
    issue_type: str
    items: list[OfferItemOut]
    value: float
    currency: str
    reason: str
    requires_approval: bool
    policy_version: int


class PastCaseOut(BaseModel):
    """One of the customer's own past cases like this one: ours (``kind`` "case") or the CRM's
    ("crm"), with how it ended."""

    kind: str
    ref: int
    title: str
    outcome: str | None
    status: str
    at: datetime | None
    score: float


class ContextOut(BaseModel):
    open_promises: list[PromiseOut]
    promise_counts: dict[str, int]
    compensations: list[CompensationOut]
    csat: list[dict[str, Any]]
    churn_risk: bool
    churn_reasons: list[str]
    orders: list[dict[str, Any]]
    past_cases: list[PastCaseOut] = Field(default_factory=list)


class SuggestionsOut(BaseModel):
    case_id: int
    language: str
    resolutions: list[ResolutionOut]
    draft: str
    compensation: OfferOut | None
    compensation_note: str | None
    context: ContextOut
    timings_ms: dict[str, float]
    draft_composed_by: str | None = Field(
        default=None, description="the language model that reworded the draft, if any"
    )

    @classmethod
    def of(cls, s: Suggestions) -> SuggestionsOut:
        offer = None
        if s.compensation is not None:
            o = s.compensation
            offer = OfferOut(
                issue_type=o.issue_type,
                items=[OfferItemOut(type=i.type, amount=i.amount, value=i.value) for i in o.items],
                value=o.value,
                currency=o.currency,
                reason=o.reason,
                requires_approval=o.requires_approval,
                policy_version=o.policy_version,
            )
        c, shown = s.context, s.disclosure
        return cls(
            case_id=s.case_id,
            language=s.language,
            resolutions=[ResolutionOut.of(r, shown) for r in s.resolutions],
            draft=shown.text(s.draft),
            draft_composed_by=s.draft_composed_by,
            compensation=offer,
            compensation_note=s.compensation_note,
            context=ContextOut(
                open_promises=[PromiseOut.of(p) for p in c.open_promises],
                promise_counts=c.promise_counts,
                compensations=[CompensationOut.model_validate(x) for x in c.compensations],
                csat=c.csat,
                churn_risk=c.churn.flag,
                churn_reasons=list(c.churn.reasons),
                orders=shown.data(c.orders),
                past_cases=[
                    PastCaseOut(
                        kind=p.kind,
                        ref=p.ref,
                        title=shown.text(p.title),
                        outcome=shown.text(p.outcome) if p.outcome else None,
                        status=p.status,
                        at=p.at,
                        score=p.score,
                    )
                    for p in c.past_cases
                ],
            ),
            timings_ms=s.timings_ms,
        )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["draft", "resolution", "compensation"]
    ref: str | None = Field(
        default=None,
        max_length=150,
        description='what was used: "faq:<entry>" or "cases:<code>" for a resolution, the '
        "compensation id for compensation",
    )


class AcceptedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: int
    user_name: str
    shown_at: datetime
    accepted_at: datetime | None
    ref: str | None


class CaseSummaryOut(BaseModel):
    case_id: int
    summary: str | None = Field(description="null: refused by the guard or failed (outcome)")
    outcome: str = Field(
        description="composed, no_model, empty, injection, failed, malformed or the guard's reason"
    )
    composed_by: str | None = None
