"""Request and response bodies of the operator API (cases, interactions, compensations,
promises, users)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from copilot.feedback_schemas import FeedbackOut
from copilot.incident_schemas import IncidentBrief
from core.cases.promises import is_overdue
from core.desk.operators import DeskCaseView
from core.models import ChannelIdentity, Message, Promise
from core.privacy import Disclosure, mask_cards

MAX_ID = 2_147_483_647
IssueType = Literal[
    "missing_item", "late_delivery", "damaged_item", "wrong_charge", "service_outage"
]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CaseOut(_Out):
    id: int
    customer_id: int
    status: str
    owner: str
    assigned_operator: str | None
    topic: str | None
    origin_channel: str
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    reopen_count: int
    resolution: str | None
    resolution_code: str | None
    knowledge_entry_id: str | None = None
    incident_id: int | None = None

    @field_validator("resolution")
    @classmethod
    def _no_card_numbers(cls, value: str | None) -> str | None:
        return mask_cards(value) if value else value


class CustomerOut(_Out):
    id: int
    name: str | None
    language: str | None
    tier: str
    lifetime_value: float
    attributes: dict[str, Any]


class IdentityOut(_Out):
    channel: str
    external_id: str
    display_name: str | None

    @classmethod
    def of(cls, identity: ChannelIdentity, shown: Disclosure) -> IdentityOut:
        return cls(
            channel=identity.channel,
            external_id=shown.text(identity.external_id),
            display_name=identity.display_name,
        )


class MessageOut(_Out):
    id: int
    case_id: int
    channel: str
    direction: str
    author: str
    author_ref: str | None
    text: str
    event: str | None = None
    reply_kind: str | None = None
    entry_id: str | None = None
    meta: dict[str, Any] = Field(
        description="The message's metadata; also holds event, kind and entry_id when set."
    )
    created_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_message(cls, data: Any) -> Any:
        if isinstance(data, Message):
            fields = {name: getattr(data, name) for name in cls.model_fields if name != "meta"}
            return {**fields, "text": mask_cards(data.text), "meta": data.meta_json()}
        return data

    @classmethod
    def of(cls, message: Message, shown: Disclosure) -> MessageOut:
        """The message as ``shown`` allows (card numbers are masked for everyone)."""
        return cls.model_validate(message).model_copy(update={"text": shown.text(message.text)})


class PromiseOut(_Out):
    id: int
    case_id: int
    customer_id: int
    text: str
    due_at: datetime
    status: str
    created_by: str
    closed_by: str | None
    closed_at: datetime | None
    overdue: bool = False

    @classmethod
    def of(cls, promise: Promise) -> PromiseOut:
        return cls.model_validate(promise).model_copy(update={"overdue": is_overdue(promise)})


class CompensationOut(_Out):
    id: int
    case_id: int
    customer_id: int
    policy_version: int
    issue_type: str
    items: list[dict[str, Any]]
    value: float
    currency: str
    reason: str
    status: str
    requires_approval: bool
    created_by: str
    decided_by: str | None
    decided_at: datetime | None
    issued_at: datetime | None
    created_at: datetime


class AuditOut(_Out):
    action: str
    actor: str
    detail: dict[str, Any]
    at: datetime


class CompensationDetail(CompensationOut):
    audit: list[AuditOut] = []


class CrmRecordOut(BaseModel):
    kind: str
    external_id: str
    occurred_at: datetime | None
    title: str
    data: dict[str, Any]


class CaseDetail(BaseModel):
    case: CaseOut
    customer: CustomerOut
    identities: list[IdentityOut]
    cases: list[CaseOut]
    timeline: list[MessageOut]
    promises: list[PromiseOut]
    compensations: list[CompensationOut]
    crm_records: list[CrmRecordOut]
    crm_error: str | None
    feedback: list[FeedbackOut] = Field(
        default_factory=list, description="The customer's answered surveys, newest first."
    )
    orders: list[dict[str, Any]] = Field(
        default_factory=list, description="The customer's orders, newest last."
    )
    incident: IncidentBrief | None = Field(
        default=None, description="The incident the customer wrote about, with its compensation."
    )


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    operator: str | None = Field(default=None, min_length=1, max_length=100)


class NewEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field(min_length=1, max_length=4000)


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(min_length=1, max_length=4000)
    resolution_code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    knowledge_entry_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The FAQ entry that answered the customer: their question becomes a "
        "candidate phrasing of it, for a supervisor to approve.",
    )
    new_entry: NewEntryIn | None = Field(
        default=None, description="A new FAQ entry written from this case (needs approval)."
    )
    contact_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="The contact reason, confirmed or changed (a code of "
        "GET /v1/contact-reasons); without it the case keeps, or gets, the automatic one.",
    )
    phrasing_message_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The customer message to propose as the phrasing (default: the message "
        "the resolution answered: the one the bot failed on, else the last before a person).",
    )
    phrasing: str | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="The phrasing in the operator's words (an edit of the customer's message).",
    )


class IdentityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, min_length=5, max_length=32)
    email: str | None = Field(default=None, min_length=3, max_length=200)
    telegram_id: str | None = Field(default=None, min_length=1, max_length=64)
    web_id: str | None = Field(default=None, min_length=1, max_length=200)
    store_card: str | None = Field(default=None, min_length=1, max_length=64)


class InteractionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["phone", "email", "web", "store", "telegram"]
    identity: IdentityIn
    direction: Literal["in", "out"] = "in"
    text: str = Field(min_length=1, max_length=4000)
    occurred_at: AwareDatetime
    case_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class InteractionOut(BaseModel):
    customer_id: int
    case_id: int
    message: MessageOut
    customer_created: bool
    case_created: bool


class CompensationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: int = Field(ge=1, le=MAX_ID)
    issue_type: IssueType | None = None
    affected_amount: float | None = Field(default=None, ge=0, le=10_000_000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(default="", max_length=1000)


class PromiseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=1000)
    due_at: AwareDatetime


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")
    role: Literal["operator", "supervisor", "admin"]
    compensation_limit: float | None = Field(default=None, ge=0, le=10_000_000)


class UserOut(_Out):
    id: int
    name: str
    role: str
    compensation_limit: float | None
    active: bool


class NewUserOut(BaseModel):
    user: UserOut
    token: str = Field(description="Shown once; only its hash is stored.")


def case_detail(view: DeskCaseView) -> CaseDetail:
    """The case view as its viewer may see it (``view.disclosure``)."""
    shown = view.disclosure
    customer = CustomerOut.model_validate(view.customer)
    return CaseDetail(
        case=CaseOut.model_validate(view.case),
        customer=customer.model_copy(update={"attributes": shown.data(customer.attributes)}),
        identities=[IdentityOut.of(i, shown) for i in view.identities],
        cases=[CaseOut.model_validate(c) for c in view.cases],
        timeline=[MessageOut.of(m, shown) for m in view.timeline],
        promises=[PromiseOut.of(p) for p in view.promises],
        compensations=[CompensationOut.model_validate(c) for c in view.compensations],
        crm_records=[
            CrmRecordOut(
                kind=r.kind,
                external_id=r.external_id,
                occurred_at=r.occurred_at,
                title=shown.text(r.title),
                data=shown.data(r.data),
            )
            for r in view.crm_records
        ],
        crm_error=view.crm_error,
        feedback=[FeedbackOut.of(p, shown) for p in view.feedback],
        orders=[shown.data(o) for o in view.orders],
        incident=IncidentBrief.model_validate(view.incident) if view.incident else None,
    )
