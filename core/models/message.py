"""Messages on a case's timeline (customer, bot, operator, system events), and the partial index
the supervisor reports use to find when a person owned a case.

What reports and queries filter on is a column: the case ``event`` of a system entry, the
``reply_kind`` of a bot reply and the knowledge ``entry_id`` it answered from. Everything else
about a message is :class:`~core.models.message_meta.MessageMeta`, stored as JSON in ``meta``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, and_, or_
from sqlmodel import Field, SQLModel

from core.models.base import StrEnumType, UTCDateTime, utcnow
from core.models.message_meta import MessageMeta, MessageMetaType


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"
    INTERNAL = "internal"


class Author(StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    OPERATOR = "operator"
    SYSTEM = "system"


class CaseEvent(StrEnum):
    """What a system entry on the timeline records (its text is the event name by default)."""

    OPENED = "opened"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    PENDING = "pending"
    RESUMED = "resumed"
    HANDED_BACK = "handed_back"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    PROMISED = "promised"
    RECOVERY = "recovery"
    PHONE_REQUESTED = "phone_requested"
    PROMISE_OVERDUE = "promise_overdue"
    """An open promise passed its due time: the operator and the supervisors are alerted."""


class ReplyKind(StrEnum):
    """What the bot's reply did (``core.conversation``)."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATED = "escalated"
    REOPENED = "reopened"
    QUEUED = "queued"
    """A human owns the case: the bot stays silent (``text`` is empty)."""
    ALREADY_QUEUED = "already_queued"
    UNSUPPORTED = "unsupported"
    RESOLVED = "resolved"
    SMALL_TALK = "small_talk"
    """A greeting or thanks on its own: a polite reply, no knowledge base, no escalation."""
    PULSE_COMMENT = "pulse_comment"
    """The text was the comment a satisfaction pulse asked for: thanks, outside any case."""
    ORDER_STATUS = "order_status"
    """"Where is my order?" from a customer with stored orders: their latest order's status."""
    INCIDENT = "incident"
    """An affected customer wrote about an active incident: its message (``core.incidents``)."""


class Message(SQLModel, table=True):
    __table_args__ = (
        Index("ix_message_channel_ref", "channel", "author_ref", "channel_message_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case.id", index=True)
    direction: Direction = Field(sa_type=StrEnumType(Direction, 8))
    channel: str = Field(max_length=16)
    author: Author = Field(sa_type=StrEnumType(Author, 16))
    author_ref: str | None = Field(default=None, max_length=100)
    text: str = ""
    attachments: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    event: CaseEvent | None = Field(default=None, sa_type=StrEnumType(CaseEvent, 16))
    """System entries: the case event recorded."""
    reply_kind: ReplyKind | None = Field(default=None, sa_type=StrEnumType(ReplyKind, 16))
    """Bot replies: what the reply did."""
    entry_id: str | None = Field(default=None, max_length=200)
    """Bot answers: the knowledge entry answered from."""
    channel_message_id: str | None = Field(default=None, max_length=64)
    """Customer messages: the channel's own id of the message, an edit or a tapped button
    (``Inbound.ref``: a retried update stores once)."""
    meta: MessageMeta = Field(default_factory=MessageMeta, sa_type=MessageMetaType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)

    def meta_json(self) -> dict[str, Any]:
        """``meta`` as JSON with the column fields under their former keys (the API shape)."""
        columns = {"event": self.event, "kind": self.reply_kind, "entry_id": self.entry_id}
        return {**self.meta.to_json(), **{k: str(v) for k, v in columns.items() if v}}


PERSON_EVENTS = (CaseEvent.ESCALATED, CaseEvent.ASSIGNED, CaseEvent.REOPENED)
"""System events on a case timeline that mean a person owned the case."""

_person = or_(
    Message.author == Author.OPERATOR,  # type: ignore[arg-type]
    and_(Message.author == Author.SYSTEM, Message.event.in_(PERSON_EVENTS)),  # type: ignore[arg-type,union-attr]
)
# Reports: "was a person involved, and since when" without scanning every message.
ix_message_person = Index(
    "ix_message_person",
    Message.case_id,  # type: ignore[arg-type]
    Message.created_at,  # type: ignore[arg-type]
    postgresql_where=_person,
    sqlite_where=_person,
)
