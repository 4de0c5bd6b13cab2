"""The knowledge record: one row per FAQ entry, and the version every answering process follows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
    translations: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    """The answer in other languages, by language code."""
    source: str = Field(default="", max_length=500)
    content_hash: str = Field(default="", max_length=64)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class KnowledgeVersion(SQLModel, table=True):
    """One row per change of the knowledge base (an ingest, an approved phrasing or entry, a
    rollback). The highest id is the current version: every process that answers compares it
    with the version it loaded and reloads the saved state when it has moved. ``snapshot``
    holds the record as of this version (one object per ``knowledge_item`` row), so a rollback
    can restore it; versions written before snapshots existed have none."""

    __tablename__ = "knowledge_version"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(max_length=32)
    detail: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    snapshot: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
