"""Satisfaction pulses (CSAT/CES after a resolution, NPS on a cadence), suggestion use, and the
indexes the supervisor reports need on tables owned elsewhere.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, and_, or_
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow
from core.models.message import Message


class PulseKind(StrEnum):
    CSAT_CES = "csat_ces"
    NPS = "nps"


class PulseStatus(StrEnum):
    NEW = "new"
    """Recorded at resolution; the sampling and rate-limit policy is not applied yet."""
    SCHEDULED = "scheduled"
    SENDING = "sending"
    """Claimed by a worker; never claimed again (at most once), even after a crash."""
    SENT = "sent"
    ANSWERED = "answered"
    EXPIRED = "expired"
    SKIPPED = "skipped"
    FAILED = "failed"


class Pulse(SQLModel, table=True):
    """One survey sent (or to be sent) to a customer: one per resolution, or one NPS round."""

    __table_args__ = (
        UniqueConstraint("case_id", "resolved_at", name="uq_pulse_case_resolution"),
        Index("ix_pulse_status_due", "status", "due_at"),
        Index("ix_pulse_kind_resolved", "kind", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)
    kind: str = Field(default=PulseKind.CSAT_CES, max_length=8)
    status: str = Field(default=PulseStatus.NEW, max_length=12)
    skip_reason: str | None = Field(default=None, max_length=32)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """The resolution this pulse is about (None for NPS)."""
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    csat: int | None = None
    ces: int | None = None
    nps: int | None = None
    comment: str | None = Field(default=None, max_length=2000)
    token: str = Field(max_length=43, unique=True)
    recovery_case_id: int | None = Field(default=None, foreign_key="case.id")
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class SuggestionUse(SQLModel, table=True):
    """Suggestions shown to an operator on a case, and whether the operator used one."""

    __tablename__ = "suggestion_use"
    __table_args__ = (UniqueConstraint("case_id", "user_name", name="uq_suggestion_use_case_user"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    user_name: str = Field(max_length=100)
    shown_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ref: str | None = Field(default=None, max_length=200)
    """What was used: "draft", "faq:<entry>", "cases:<code>"."""


PERSON_EVENTS = ("escalated", "assigned", "reopened")
"""System events on a case timeline that mean a person owned the case."""

_person = or_(
    Message.author == "operator",  # type: ignore[arg-type]
    and_(Message.author == "system", Message.text.in_(PERSON_EVENTS)),  # type: ignore[arg-type,attr-defined]
)
# Reports: "was a person involved, and since when" without scanning every message.
ix_message_person = Index(
    "ix_message_person",
    Message.case_id,  # type: ignore[arg-type]
    Message.created_at,  # type: ignore[arg-type]
    postgresql_where=_person,
    sqlite_where=_person,
)
