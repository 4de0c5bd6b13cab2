"""Messages on a case's timeline (customer, bot, operator, system events), and the partial index
the supervisor reports use to find when a person owned a case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, and_, or_
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"
    INTERNAL = "internal"


class Author(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    OPERATOR = "operator"
    SYSTEM = "system"


class Message(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    direction: str = Field(max_length=8)
    channel: str = Field(max_length=16)
    author: str = Field(max_length=16)
    author_ref: str | None = Field(default=None, max_length=100)
    text: str = ""
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    meta: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


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
