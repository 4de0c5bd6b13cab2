from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class Customer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=8)
    tier: str = Field(default="standard", max_length=32)
    lifetime_value: float = 0.0
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    marketing_consent: bool = False
    """The customer agreed to marketing messages (from the CRM or an import)."""
    opted_out: bool = False
    """The customer asked not to be contacted except in answer to their own messages."""
    preferences: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    """What the customer prefers (channel, delivery window, ...), as the CRM states it."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When an import or a CRM sync last changed the record."""


class ChannelIdentity(SQLModel, table=True):
    """How a customer is known on one channel (a Telegram user id, a phone number, an email), or
    in a CRM (channel ``crm:<source>``, the CRM's own id of the person). Phones are stored in
    E.164 and e-mails lower-cased (``core.customers.keys``)."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_ext"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    channel: str = Field(max_length=16)
    external_id: str = Field(max_length=200)
    display_name: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
