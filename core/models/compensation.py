"""Compensation policies (versioned), offers made under them, and their audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class CompensationStatus(StrEnum):
    APPROVED = "approved"
    """Within the offering user's limit, or approved by a supervisor: may be issued."""
    PENDING_APPROVAL = "pending_approval"
    REJECTED = "rejected"
    ISSUED = "issued"


class CompensationPolicy(SQLModel, table=True):
    __tablename__ = "compensation_policy"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(unique=True)
    document: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    content_hash: str = Field(max_length=64, index=True)
    source: str = Field(default="", max_length=500)
    active: bool = Field(default=True, index=True)
    created_by: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Compensation(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    policy_version: int
    issue_type: str = Field(max_length=32)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    """[{"type": "promo_code", "amount": 1500.0, "value": 1500.0, "code": null}, ...]"""
    value: float = 0.0
    """Total worth in the policy currency; what the approval limit is checked against."""
    currency: str = Field(default="RUB", max_length=8)
    reason: str = ""
    facts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: CompensationStatus = Field(
        default=CompensationStatus.APPROVED,
        sa_type=StrEnumType(CompensationStatus, 16),
        index=True,
    )
    requires_approval: bool = False
    created_by: str = Field(max_length=100)
    decided_by: str | None = Field(default=None, max_length=100)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    issued_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class CompensationAudit(SQLModel, table=True):
    """Who did what to a compensation, and when (offered, approved, rejected, issued)."""

    __tablename__ = "compensation_audit"

    id: int | None = Field(default=None, primary_key=True)
    compensation_id: int = Field(foreign_key="compensation.id", index=True)
    action: str = Field(max_length=32)
    actor: str = Field(max_length=100)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
