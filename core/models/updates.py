"""Inbound update queue (with dedup by channel + update id) and the outbound delivery log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow


class UpdateStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    PARKED = "parked"
    """Failed ``MAX_UPDATE_ATTEMPTS`` times (a poison update): kept aside for a supervisor."""


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    """Queued for a worker (an operator reply made through the API)."""
    SENDING = "sending"
    """Claimed by one sender until ``claimed_until`` (its lease)."""
    SENT = "sent"
    FAILED = "failed"


class InboundUpdate(SQLModel, table=True):
    """One update received from a channel (a Telegram update). Unique per (channel, update_id)."""

    __tablename__ = "inbound_update"
    __table_args__ = (
        UniqueConstraint("channel", "update_id", name="uq_inbound_update_channel_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    update_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: UpdateStatus = Field(
        default=UpdateStatus.PENDING, sa_type=StrEnumType(UpdateStatus, 16), index=True
    )
    chat_key: str | None = Field(default=None, max_length=64, index=True)
    """The chat the update belongs to: its updates are processed in update_id order."""
    attempts: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """A failed update is retried from this time on (None: now)."""
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboundDelivery(SQLModel, table=True):
    """One message sent (or tried) to a customer: every attempt counted, failures kept visible."""

    __tablename__ = "outbound_delivery"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16, index=True)
    external_id: str = Field(max_length=200, index=True)
    text: str = ""
    buttons: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    message_id: int | None = Field(default=None, foreign_key="message.id", index=True)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=StrEnumType(DeliveryStatus, 16), index=True
    )
    attempts: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    """A pending delivery is sent from this time on (None: now); set by backoff and 429."""
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=64)
    attempt_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set before each request to the channel, cleared with its outcome: a lease that expires
    while it is set means the outcome is unknown."""
    parts_sent: int = 0
    """Parts of a long text already delivered (they are not sent again on a retry)."""
    provider_message_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
