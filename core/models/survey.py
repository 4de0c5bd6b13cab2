"""Satisfaction pulses: CSAT/CES after a resolution, NPS on a cadence."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class PulseKind(StrEnum):
    CSAT_CES = "csat_ces"
    NPS = "nps"


class PulseStatus(StrEnum):
    NEW = "new"
    """Recorded at resolution; the sampling and rate-limit policy is not applied yet."""
    SCHEDULED = "scheduled"
    SENDING = "sending"
    """Claimed by a worker until ``claimed_until``. An expired claim is scheduled again when the
    send was never tried (``attempted_at`` unset); otherwise it fails as "outcome unknown" and is
    never sent twice."""
    SENT = "sent"
    ANSWERED = "answered"
    EXPIRED = "expired"
    SKIPPED = "skipped"
    FAILED = "failed"


class Pulse(SQLModel, table=True):
    """One survey sent (or to be sent) to a customer: one per resolution, or one NPS round."""

    __table_args__ = (
        UniqueConstraint("case_id", "resolved_at", name="uq_pulse_case_resolution"),
        UniqueConstraint("round_key", name="uq_pulse_round_key"),
        Index("ix_pulse_status_due", "status", "due_at"),
        Index("ix_pulse_kind_resolved", "kind", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)
    kind: PulseKind = Field(default=PulseKind.CSAT_CES, sa_type=StrEnumType(PulseKind, 8))
    status: PulseStatus = Field(default=PulseStatus.NEW, sa_type=StrEnumType(PulseStatus, 12))
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
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    round_key: str | None = Field(default=None, max_length=64)
    """One NPS round per customer and period, however many workers schedule it."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
