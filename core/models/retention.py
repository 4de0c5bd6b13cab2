"""Retention actions a supervisor starts for a customer at risk of leaving, and how they ended."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class RetentionKind(StrEnum):
    CALL = "call"
    """A call task: someone phones the customer."""
    OFFER = "offer"
    """A goodwill offer, within the compensation policy's limits."""
    CHECK_IN = "check_in"
    """An early check-in after the customer's first order."""


class RetentionOutcome(StrEnum):
    PENDING = "pending"
    CONTACTED = "contacted"
    ACCEPTED = "accepted"
    CHURNED = "churned"


class RetentionAction(SQLModel, table=True):
    """One action for one customer; the churn score and band are those when it was started, so
    the outcome can be checked against the prediction."""

    __tablename__ = "retention_action"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: RetentionKind = Field(sa_type=StrEnumType(RetentionKind, 12))
    churn_score: int = 0
    churn_band: str = Field(max_length=8)
    note: str | None = Field(default=None, max_length=1000)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    offer_value: float | None = None
    currency: str | None = Field(default=None, max_length=3)
    policy_version: int | None = None
    order_id: int | None = Field(default=None, foreign_key="customer_order.id")
    """The first order an early check-in follows."""
    outcome: RetentionOutcome = Field(
        default=RetentionOutcome.PENDING, sa_type=StrEnumType(RetentionOutcome, 12), index=True
    )
    outcome_note: str | None = Field(default=None, max_length=1000)
    outcome_by: str | None = Field(default=None, max_length=100)
    outcome_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
