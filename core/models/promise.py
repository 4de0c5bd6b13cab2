"""Promises an operator made to a customer ("refund within 3 days"), kept or broken."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class PromiseStatus(StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class Promise(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    text: str = Field(max_length=1000)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: PromiseStatus = Field(
        default=PromiseStatus.OPEN, sa_type=StrEnumType(PromiseStatus, 8), index=True
    )
    created_by: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    overdue_flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=100)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
