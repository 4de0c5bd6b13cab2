"""Proactive notices: incidents a supervisor declares, and the one notice per customer and
subject (an incident, a late order, an overdue promise) that tells the customer first.

A :class:`Notice` is unique per ``(kind, subject_id, customer_id)``: that constraint is what makes
a notice reach each customer once, across retries, restarts and worker replicas. It is queued
into the delivery log (``outbound_delivery``) in the same commit that moves it from ``pending``
to ``queued`` (``core.incidents.release``), and the log sends it at most once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class IncidentStatus(StrEnum):
    ACTIVE = "active"
    """Broadcasting (from ``starts_at``) and answering affected customers who write."""
    PAUSED = "paused"
    """No new notices go out; affected customers who write still get its message."""
    CANCELLED = "cancelled"
    """Nothing more goes out; unsent notices are cancelled."""


class Incident(SQLModel, table=True):
    """Something went wrong for a segment of customers; what they are told, once each."""

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    messages: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    """The customer-facing message per language (``ru``, ``uk``, ``ro``, ``en``)."""
    segment: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """The segment as declared (``core.incidents.segment.Segment``), for the record."""
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    """Words that mark a customer's message as being about the incident."""
    compensation: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    """``{"type", "amount", "currency"}`` offered to every affected customer, or None."""
    status: IncidentStatus = Field(
        default=IncidentStatus.ACTIVE, sa_type=StrEnumType(IncidentStatus, 16), index=True
    )
    starts_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    affected: int = 0
    key: str | None = Field(default=None, max_length=100, unique=True)
    """The declaring client's idempotency key: a retried declaration returns the first one."""
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoticeKind(StrEnum):
    INCIDENT = "incident"
    LATE_ORDER = "late_order"
    LATE_PROMISE = "late_promise"


class NoticeStatus(StrEnum):
    PENDING = "pending"
    """Waiting to be queued into the delivery log."""
    QUEUED = "queued"
    """In the delivery log (``delivery_id``): its status is the delivery's."""
    OPTED_OUT = "opted_out"
    UNREACHABLE = "unreachable"
    """The customer has no identity on a channel that can send it."""
    CANCELLED = "cancelled"


class Notice(SQLModel, table=True):
    """One proactive message to one customer about one subject; at most one per subject."""

    __tablename__ = "proactive_notice"
    __table_args__ = (
        UniqueConstraint("kind", "subject_id", "customer_id", name="uq_notice_subject_customer"),
        Index("ix_notice_kind_subject_status", "kind", "subject_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: NoticeKind = Field(sa_type=StrEnumType(NoticeKind, 16))
    subject_id: int
    """The incident, order or promise the notice is about."""
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str | None = Field(default=None, max_length=16)
    external_id: str | None = Field(default=None, max_length=200)
    language: str = Field(default="en", max_length=8)
    text: str = ""
    status: NoticeStatus = Field(
        default=NoticeStatus.PENDING, sa_type=StrEnumType(NoticeStatus, 16), index=True
    )
    delivery_id: int | None = Field(default=None, foreign_key="outbound_delivery.id", index=True)
    compensation_value: float = 0.0
    """What the notice offered (in ``currency``), counted in the incident's report."""
    currency: str | None = Field(default=None, max_length=3)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    queued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
