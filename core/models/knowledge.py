from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class KnowledgeItem(SQLModel, table=True):
    """The system of record for one FAQ entry; the vector and lexical indexes derive from it."""

    __tablename__ = "knowledge_item"

    id: str = Field(primary_key=True, max_length=200)
    questions: list[str] = Field(default_factory=list, sa_type=JSON)
    answer: str = ""
    language: str | None = Field(default=None, max_length=8)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    source: str = Field(default="", max_length=500)
    content_hash: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
