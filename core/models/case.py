from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class CaseStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Owner(StrEnum):
    BOT = "bot"
    HUMAN = "human"


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: CaseStatus = Field(
        default=CaseStatus.OPEN, sa_type=StrEnumType(CaseStatus, 16), index=True
    )
    owner: Owner = Field(default=Owner.BOT, sa_type=StrEnumType(Owner, 8), index=True)
    assigned_operator: str | None = Field(default=None, max_length=100, index=True)
    topic: str | None = Field(default=None, max_length=200, index=True)
    origin_channel: str = Field(max_length=16)
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reopen_count: int = 0
    resolution: str | None = None
    resolution_code: str | None = Field(default=None, max_length=64)
    knowledge_entry_id: str | None = Field(default=None, max_length=200)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    """The incident the customer wrote about (``core.incidents.awareness``)."""
