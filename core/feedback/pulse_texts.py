"""What a pulse says and which buttons it offers, independent of any messenger; the words are
the ``pulse.*`` messages of the catalogue (``core.i18n``).

Buttons are ``(label, callback data)`` pairs, the shape ``OutboundChannel.send`` takes; the
callback data is ``pulse:<id>:<question>:<value>`` (at most ~30 bytes, within Telegram's 64).
"""

from __future__ import annotations

from dataclasses import dataclass

from core import i18n
from core.models import Pulse, PulseKind


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def text(language: str | None, key: str, **values: str) -> str:
    """The ``pulse.*`` message ``key`` of the catalogue (``core.i18n``)."""
    return i18n.text(language, f"pulse.{key}", **values)


def _scale(pulse: Pulse, question: str, low: int, high: int) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), f"pulse:{pulse.id}:{question}:{v}") for v in range(low, high + 1))


def first_prompt(pulse: Pulse, *, language: str | None, link: str | None = None) -> Prompt:
    """The opening message: buttons for the first question, or (``link`` given) the link."""
    if link is not None:
        return Prompt(text(language, "link", link=link))
    if pulse.kind == PulseKind.NPS:
        return Prompt(text(language, "nps"), _scale(pulse, "nps", 0, 10))
    return Prompt(text(language, "csat"), _scale(pulse, "csat", 1, 5))


def comment_prompt(pulse: Pulse, *, language: str | None) -> Prompt:
    return Prompt(
        text(language, "comment"), ((text(language, "skip"), f"pulse:{pulse.id}:skip:0"),)
    )


def next_prompt(pulse: Pulse, *, answered: str, language: str | None) -> Prompt | None:
    """After ``answered``: CSAT -> CES -> comment; NPS -> comment."""
    if answered == "csat" and pulse.ces is None:
        return Prompt(text(language, "ces"), _scale(pulse, "ces", 1, 7))
    if pulse.comment is None:
        return comment_prompt(pulse, language=language)
    return None
