"""Request and response bodies of the incident routes (``copilot.routes.incidents``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.incidents.control import IncidentView
from core.incidents.declare import IncidentDraft
from core.incidents.report import IncidentReport
from core.incidents.segment import Segment
from core.models import Incident

Language = Literal["ru", "uk", "ro", "en"]
MAX_LIST = 100_000


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str = Field(min_length=1, max_length=16)
    external_id: str = Field(min_length=1, max_length=200)


class SegmentIn(BaseModel):
    """Customers with orders matching every order criterion given, plus those listed."""

    model_config = ConfigDict(extra="forbid")
    region: str | None = Field(default=None, min_length=1, max_length=100)
    promised_from: AwareDatetime | None = None
    promised_to: AwareDatetime | None = None
    product: str | None = Field(default=None, min_length=1, max_length=200)
    order_status: str | None = Field(default=None, min_length=1, max_length=64)
    customer_ids: list[int] = Field(default_factory=list, max_length=MAX_LIST)
    identities: list[IdentityIn] = Field(default_factory=list, max_length=MAX_LIST)
    csv: str | None = Field(
        default=None,
        max_length=5_000_000,
        description="CSV with a header: customer_id, or channel and external_id, or phone, "
        "email, telegram columns.",
    )


class CompensationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["promo_code", "refund", "free_delivery", "loyalty_points"]
    amount: float = Field(default=0.0, ge=0.0, le=1_000_000)
    currency: str | None = Field(default=None, min_length=3, max_length=3)


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    messages: dict[Language, str] = Field(
        min_length=1, description="The customer-facing message per language."
    )
    segment: SegmentIn
    keywords: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Words that mark a customer's message as about the incident (default: "
        "the title's words).",
    )
    compensation: CompensationIn | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    key: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="An idempotency key: a retried declaration with it returns the first one "
        "instead of notifying everyone again.",
    )

    def draft(self) -> IncidentDraft:
        seg = self.segment
        segment = Segment(
            region=seg.region,
            promised_from=seg.promised_from,
            promised_to=seg.promised_to,
            product=seg.product,
            order_status=seg.order_status,
            customer_ids=tuple(seg.customer_ids),
            identities=tuple((i.channel, i.external_id) for i in seg.identities),
        )
        return IncidentDraft(
            title=self.title,
            messages={str(lang): text for lang, text in self.messages.items()},
            segment=segment,
            keywords=tuple(self.keywords),
            compensation=self.compensation.model_dump() if self.compensation else None,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            csv=seg.csv,
            key=self.key,
        )


class ProgressOut(BaseModel):
    affected: int
    pending: int
    sending: int
    sent: int
    failed: int
    opted_out: int
    unreachable: int
    cancelled: int


class IncidentBrief(BaseModel):
    """An incident as a case shows it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    status: str
    messages: dict[str, str]
    compensation: dict[str, Any] | None
    starts_at: datetime
    ends_at: datetime | None


class IncidentOut(IncidentBrief):
    segment: dict[str, Any]
    keywords: list[str]
    affected: int
    created_by: str
    created_at: datetime
    progress: ProgressOut

    @classmethod
    def of(cls, view: IncidentView) -> IncidentOut:
        return cls.model_validate(
            {**_fields(view.incident), "progress": ProgressOut(**asdict(view.progress))}
        )


def _fields(incident: Incident) -> dict[str, Any]:
    return incident.model_dump()


class ReportOut(BaseModel):
    incident_id: int
    progress: ProgressOut
    notified: int
    delivered: int
    failed: int
    affected_contacts: int
    affected_contact_rate: float
    baseline_contact_rate: float
    tagged_cases: int
    deflected: int
    affected_csat: float | None
    csat_answers: int
    compensation_value: float
    currency: str | None

    @classmethod
    def of(cls, report: IncidentReport) -> ReportOut:
        return cls.model_validate(asdict(report))
