"""The audit trail: every change an operator, supervisor or admin asks the API for, with who,
when, what (the route and the concrete path) and how it ended (the HTTP status)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    action: str = Field(max_length=160)
    """The method and route template: ``POST /v1/cases/{case_id}/resolve``."""
    path: str = Field(max_length=300)
    """The concrete path asked for: ``/v1/cases/12/resolve``."""
    status: int
    """The HTTP status it ended with (a refused change is recorded too)."""
    request_id: str | None = Field(default=None, max_length=64)
