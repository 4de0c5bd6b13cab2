"""What a message carries besides its text, typed: :class:`MessageMeta`, stored as JSON in
``Message.meta`` (only the fields that are set). What queries filter on is not here but in
columns of ``Message`` (``event``, ``reply_kind``, ``entry_id``).

Readers get a :class:`MessageMeta` back, never a dict; writers build one, and change one with
:meth:`MessageMeta.with_` (it is frozen, so a change is always an assignment the ORM sees).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from core.models.updates import DeliveryStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SourceRef(_Frozen):
    """Where an answer came from."""

    entry_id: str
    question: str
    location: str | None


class CandidateRef(_Frozen):
    """One of the entries a clarify reply offered as a button."""

    entry_id: str
    question: str
    score: float


class QueueRef(_Frozen):
    """Where the case stood in the operator queue when the bot said so."""

    position: int
    waiting: int
    expected_wait_minutes: int


class MessageMeta(_Frozen):
    """Everything optional; unknown keys in stored rows are ignored."""

    # system entries (``Message.event``)
    reason: str | None = None
    """Why the case was escalated; why the bot did not answer (sticker, greeting, ...)."""
    operator: str | None = None
    by: str | None = None
    code: str | None = None
    contact_reason: str | None = None
    """On a resolution: the contact reason the operator confirmed or chose."""
    previous_resolved_at: str | None = None
    reopen_count: int | None = None
    due_at: str | None = None
    pulse_id: int | None = None
    source_case_id: int | None = None
    # customer messages
    edited: bool = False
    intent: str | None = None
    via: str | None = None
    """How the message was sent when not typed: "button", "clarify_button"."""
    reply_to: int | None = None
    telegram_message_id: int | None = None
    recorded_by: str | None = None
    interaction: bool = False
    """Recorded by an operator (a call, an email), not received by a channel."""
    # bot replies (``Message.reply_kind``)
    language: str | None = None
    confidence: float | None = None
    sources: tuple[SourceRef, ...] = ()
    candidates: tuple[CandidateRef, ...] = ()
    queue: QueueRef | None = None
    feedback: str | None = None
    # operator messages
    note: bool = False
    delivery: DeliveryStatus | None = None

    def with_(self, **changes: Any) -> MessageMeta:
        """A copy with ``changes`` (validated)."""
        return MessageMeta.model_validate({**self.model_dump(), **changes})

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> MessageMeta:
        return cls.model_validate(data or {})


class MessageMetaType(TypeDecorator[MessageMeta]):
    """A JSON column holding a :class:`MessageMeta`."""

    impl = JSON
    cache_ok = True

    def process_bind_param(
        self, value: MessageMeta | dict[str, Any] | None, dialect: Any
    ) -> dict[str, Any]:
        """A plain dict (a bulk insert) is validated into a :class:`MessageMeta` first."""
        if isinstance(value, dict):
            value = MessageMeta.from_json(value)
        return value.to_json() if value is not None else {}

    def process_result_value(self, value: dict[str, Any] | None, dialect: Any) -> MessageMeta:
        return MessageMeta.from_json(value)
