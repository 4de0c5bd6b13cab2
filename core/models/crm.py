"""What the CRM connectors fill: each customer's orders, their past cases in the CRM (with the
messages and the outcome), the sync cursor of each source, and the identity conflicts a sync
found and left for a person to settle."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class CustomerOrder(SQLModel, table=True):
    """One order of one customer, as its source (a CRM, a file, the API) last stated it.
    Amounts are in ``currency``; ``items`` are ``{"sku", "name", "quantity", "price"}``."""

    __tablename__ = "customer_order"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_order_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    source: str = Field(max_length=32)
    external_id: str = Field(max_length=100)
    number: str = Field(max_length=64)
    status: str = Field(default="", max_length=64)
    items: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    total: float = 0.0
    currency: str | None = Field(default=None, max_length=3)
    placed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    promised_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    delivery_region: str | None = Field(default=None, max_length=100)
    source_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrmCase(SQLModel, table=True):
    """A past case of the customer kept in a CRM: its subject, messages and outcome.
    ``messages`` are ``{"at", "author", "text"}``, oldest first."""

    __tablename__ = "crm_case"
    __table_args__ = (UniqueConstraint("source", "external_id", name="uq_crm_case_source_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    source: str = Field(max_length=32)
    external_id: str = Field(max_length=100)
    subject: str = Field(default="", max_length=300)
    status: str = Field(default="", max_length=64)
    outcome: str | None = Field(default=None, max_length=1000)
    messages: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    source_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    synced_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CrmSyncState(SQLModel, table=True):
    """Where the incremental sync of one source stands: the connector's cursor after the last
    page stored (moved in the same commit as that page's records) and the last error."""

    __tablename__ = "crm_sync_state"

    source: str = Field(primary_key=True, max_length=32)
    cursor: str | None = Field(default=None, max_length=1000)
    last_error: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """A sync of this source is running until then (renewed per page): one at a time."""


class IdentityConflict(SQLModel, table=True):
    """A record of a source claims an identity (a phone, an e-mail) another customer holds: it
    is reported here, not merged. One row per identity and claiming record."""

    __tablename__ = "identity_conflict"
    __table_args__ = (
        UniqueConstraint(
            "channel", "external_id", "source", "record_id", name="uq_identity_conflict"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    holder_id: int = Field(foreign_key="customer.id", index=True)
    """The customer who holds the identity."""
    claimant_id: int = Field(foreign_key="customer.id")
    """The customer the claiming record was stored as."""
    source: str = Field(max_length=32)
    record_id: str = Field(max_length=100)
    detected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
