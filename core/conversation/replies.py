"""What a conversation turn returns to the front end (:class:`Reply`, its :class:`ReplyKind`),
what the customer asked for (:class:`Intent`), which content the bot cannot answer
(:func:`classify_content`), greetings and thanks on their own (:func:`small_talk`) and the
metadata a bot reply is stored with (:func:`reply_meta`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.cases.lifecycle import QueueStatus
from core.domain import Answer, Candidate
from core.models import CandidateRef, MessageMeta, QueueRef, ReplyKind, SourceRef

MAX_TEXT_CHARS = 1500
"""Longer messages are stored in full but not sent to the knowledge base."""


class Intent(StrEnum):
    MESSAGE = "message"
    HUMAN = "human"
    """/human or "Talk to a person"."""
    REOPEN = "reopen"
    """"Still not fixed": reopen the last resolved case when it is within the reopen window."""


@dataclass(frozen=True, slots=True)
class Reply:
    """What the front end must send. Nothing at all when ``text`` is empty."""

    kind: ReplyKind
    case_id: int
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


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


GREETINGS = _words(
    "hi hello hey hiya morning afternoon evening привет приветствую здравствуйте здравствуй "
    "здрасте добрый доброе доброго вітаю привіт добрий salut bună buna neața neata"
)
GREETING_EXTRA = _words(
    "there good day all everyone день утро вечер всем ранку вечора дня ziua dimineața "
    "dimineata seara"
)
THANKS = _words(
    "thanks thank thx ty спасибо спс благодарю дякую мерси mulțumesc multumesc mersi mulțam "
    "mulțumiri"
)
THANKS_EXTRA = _words(
    "you very much a lot so ok okay great cool большое огромное вам тебе очень ок хорошо "
    "отлично супер понятно дуже щиро тобі добре чудово mult foarte frumos vă îți bine super"
)


def small_talk(text: str) -> str | None:
    """Says "greeting" or "thanks" when the message is only that (ru/uk/ro/en), else None.

    Such messages are not questions: answering them from the FAQ or handing them to a person
    would both be wrong. A greeting with a question in it is a question.
    """
    words = set(re.findall(r"[^\W\d_]+", text.lower().replace("ё", "е")))
    if not words or len(words) > 6:
        return None
    greeting = GREETINGS | GREETING_EXTRA
    if words & GREETINGS and words <= greeting:
        return "greeting"
    if words & THANKS and words <= THANKS | THANKS_EXTRA | greeting:
        return "thanks"
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
