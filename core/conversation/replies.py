"""What a conversation turn returns to the front end (:class:`Reply`, its :class:`ReplyKind`),
which content the bot cannot answer (:func:`classify_content`) and the metadata a bot reply is
stored with (:func:`reply_meta`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.cases.lifecycle import QueueStatus
from core.domain import Answer, Candidate

MAX_TEXT_CHARS = 1500
"""Longer messages are stored in full but not sent to the knowledge base."""


class ReplyKind(StrEnum):
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


def reply_meta(reply: Reply) -> dict[str, Any]:
    meta: dict[str, Any] = {"kind": str(reply.kind), "language": reply.language}
    if reply.answer is not None:
        meta["entry_id"] = reply.answer.entry_id
        meta["confidence"] = round(reply.answer.confidence, 4)
        meta["sources"] = [
            {"entry_id": s.entry_id, "question": s.question, "location": s.location}
            for s in reply.answer.sources
        ]
    if reply.candidates:
        meta["candidates"] = [
            {"entry_id": c.entry_id, "question": c.question, "score": round(c.score, 4)}
            for c in reply.candidates
        ]
    if reply.queue is not None:
        meta["queue"] = dataclasses.asdict(reply.queue)
    if reply.reason:
        meta["reason"] = reply.reason
    return meta
