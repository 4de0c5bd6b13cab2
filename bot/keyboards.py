"""Inline keyboards. Buttons travel as (label, callback data) pairs, as OutboundChannel takes them.

Callback data (at most 64 bytes): ``helped:<message id>``, ``human``, ``pick:<message id>:<i>``,
``reopen``, ``lang:<code>``; satisfaction pulses (built in ``core.feedback.pulse_texts``):
``pulse:<pulse id>:<csat|ces|nps|skip>:<value>``.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import LANGUAGE_NAMES, t
from core.conversation.replies import Reply, ReplyKind

HUMAN = "human"
REOPEN = "reopen"
MAX_LABEL = 60


def reply_buttons(reply: Reply) -> list[tuple[str, str]]:
    lang = reply.language
    buttons: list[tuple[str, str]] = []
    if reply.kind == ReplyKind.ANSWER and reply.message_id is not None:
        buttons.append((t(lang, "btn_helped"), f"helped:{reply.message_id}"))
    elif reply.kind == ReplyKind.CLARIFY and reply.message_id is not None:
        for i, candidate in enumerate(reply.candidates):
            buttons.append((_label(candidate.question), f"pick:{reply.message_id}:{i}"))
    if reply.kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY, ReplyKind.UNSUPPORTED):
        buttons.append((t(lang, "btn_human"), HUMAN))
        if reply.reopenable_case_id is not None:
            buttons.append((t(lang, "btn_reopen"), REOPEN))
    return buttons


def language_buttons() -> list[tuple[str, str]]:
    return [(name, f"lang:{code}") for code, name in LANGUAGE_NAMES.items()]


def markup(buttons: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup | None:
    """One button per row; data starting with http(s):// becomes a link button."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=label, url=data)]
        if data.startswith(("http://", "https://"))
        else [InlineKeyboardButton(text=label, callback_data=data)]
        for label, data in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _label(question: str) -> str:
    question = " ".join(question.split())
    return question if len(question) <= MAX_LABEL else question[: MAX_LABEL - 1] + "…"
