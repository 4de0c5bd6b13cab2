"""Candidate phrasings learned from operators' resolutions, waiting for a supervisor.

A candidate either adds ``text`` (the customer's own words) as a phrasing of the existing entry
``entry_id``, or -- when ``new_entry_answer`` is set -- proposes a brand-new entry ``entry_id``
with the questions ``new_entry_question`` and ``text`` and that answer.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class CandidateStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"


class KnowledgeCandidate(SQLModel, table=True):
    __tablename__ = "knowledge_candidate"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    entry_id: str = Field(max_length=200, index=True)
    text: str = Field(max_length=4000)
    status: CandidateStatus = Field(
        default=CandidateStatus.PROPOSED, sa_type=StrEnumType(CandidateStatus, 16), index=True
    )
    new_entry_question: str | None = Field(default=None, max_length=1000)
    new_entry_answer: str | None = Field(default=None, max_length=4000)
    language: str | None = Field(default=None, max_length=8)
    proposed_by: str = Field(max_length=100)
    decided_by: str | None = Field(default=None, max_length=100)
    note: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_new_entry(self) -> bool:
        return self.new_entry_answer is not None
