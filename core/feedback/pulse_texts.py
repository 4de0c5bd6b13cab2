"""What a pulse says and which buttons it offers, independent of any messenger.

Buttons are ``(label, callback data)`` pairs, the shape ``OutboundChannel.send`` takes; the
callback data is ``pulse:<id>:<question>:<value>`` (at most ~30 bytes, within Telegram's 64).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Pulse, PulseKind

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "csat": "How satisfied are you with how we handled your request? (1 = very unhappy, "
        "5 = very happy)",
        "ces": "How easy was it to solve your question today? (1 = very hard, 7 = very easy)",
        "nps": "How likely are you to recommend us to a friend? (0 = not at all, 10 = certainly)",
        "comment": "Thank you! Anything to add? Just write it here, or tap Skip.",
        "comment_web": "Anything to add? (optional)",
        "skip": "Skip",
        "link": "We would love your feedback on your recent request: {link}",
        "thanks": "Thank you for your feedback!",
    },
    "ru": {
        "csat": "Насколько вы довольны решением вашего обращения? (1 — совсем нет, 5 — очень)",
        "ces": "Насколько легко было решить ваш вопрос сегодня? "
        "(1 — очень трудно, 7 — очень легко)",
        "nps": "Насколько вероятно, что вы порекомендуете нас друзьям? (0 — точно нет, "
        "10 — обязательно)",
        "comment": "Спасибо! Хотите что-то добавить? Напишите здесь или нажмите «Пропустить».",
        "comment_web": "Хотите что-то добавить? (необязательно)",
        "skip": "Пропустить",
        "link": "Пожалуйста, оцените, как мы решили ваш вопрос: {link}",
        "thanks": "Спасибо за отзыв!",
    },
}


@dataclass(frozen=True, slots=True)
class Prompt:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def text(language: str | None, key: str, **values: str) -> str:
    table = TEXTS.get((language or "en")[:2], TEXTS["en"])
    return table[key].format(**values)


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
