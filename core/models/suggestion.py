"""Suggestions shown to an operator on a case, and whether one was used (suggestion acceptance)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


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
