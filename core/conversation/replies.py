"""What a conversation turn returns to the front end (:class:`Reply`, its :class:`ReplyKind`),
which content the bot cannot answer (:func:`classify_content`) and the metadata a bot reply is
stored with (:func:`reply_meta`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.cases.lifecycle import QueueStatus
from core.domain import Answer, Candidate
from core.models import CandidateRef, MessageMeta, QueueRef, ReplyKind, SourceRef

MAX_TEXT_CHARS = 1500
KB_UNAVAILABLE = "kb_unavailable"
"""The escalation reason when the knowledge base cannot be asked (the vector store is down)."""
"""Longer messages are stored in full but not sent to the knowledge base."""


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """The customer's own latest order, as an order-status reply tells it."""

    number: str
    status: str
    promised_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """What the front end must send. Nothing at all when ``text`` is empty."""

    kind: ReplyKind
    case_id: int | None
    """The case the message went to; None only for :attr:`ReplyKind.PULSE_COMMENT`."""
    customer_id: int
    language: str
    text: str = ""
    answer: Answer | None = None
    candidates: tuple[Candidate, ...] = ()
    queue: QueueStatus | None = None
    reason: str | None = None
    """Why content was not answered: sticker, photo, voice, document, edited, too_long, ..."""
    customer_name: str | None = None
    reopenable_case_id: int | None = None
    """A recently resolved case the customer may reopen ("still not fixed")."""
    message_id: int | None = None
    """The stored bot message (None when silent)."""
    order: OrderStatus | None = None
    """For :attr:`ReplyKind.ORDER_STATUS`: the customer's latest order."""
    ask_phone: bool = False
    """Ask the customer, once, to share their phone (their orders are found by it)."""
    notice: str | None = None
    """For :attr:`ReplyKind.INCIDENT`: the incident's message in the customer's language."""

    @property
    def silent(self) -> bool:
        return not self.text


Render = Callable[[Reply], str]


def classify_content(
    text: str, *, attachments: Sequence[dict[str, Any]] = (), edited: bool = False
) -> str | None:
    """Why the bot cannot answer this content from the knowledge base, or None if it can."""
    if edited:
        return "edited"
    stripped = text.strip()
    if not stripped:
        return str(attachments[0].get("type", "media")) if attachments else "empty"
    if len(stripped) > MAX_TEXT_CHARS:
        return "too_long"
    if not any(ch.isalnum() for ch in stripped):
        return "emoji_only"
    return None


def reply_meta(reply: Reply) -> MessageMeta:
    """What a bot reply is stored with besides its kind and entry (columns of ``Message``)."""
    answer = reply.answer
    sources = answer.sources if answer is not None else ()
    return MessageMeta(
        language=reply.language,
        reason=reply.reason or None,
        confidence=round(answer.confidence, 4) if answer is not None else None,
        sources=tuple(
            SourceRef(entry_id=s.entry_id, question=s.question, location=s.location)
            for s in sources
        ),
        candidates=tuple(
            CandidateRef(entry_id=c.entry_id, question=c.question, score=round(c.score, 4))
            for c in reply.candidates
        ),
        queue=QueueRef(**dataclasses.asdict(reply.queue)) if reply.queue is not None else None,
    )
