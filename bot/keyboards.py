"""Inline keyboards. Buttons travel as (label, callback data) pairs, as OutboundChannel takes them.

Callback data (at most 64 bytes) is packed and parsed by the ``CallbackData`` classes below:
``helped:<message id>``, ``human``, ``pick:<message id>:<i>``, ``reopen``, ``lang:<code>``;
satisfaction pulses, whose buttons ``core.feedback.pulse_texts`` builds in the same form:
``pulse:<pulse id>:<csat|ces|nps|skip>:<value>``. Buttons already sent keep working.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.texts import LANGUAGE_NAMES, t
from core.conversation.replies import Reply, ReplyKind

MAX_LABEL = 60
CONTACT_REQUEST = "keyboard:contact"
"""A button with this data asks for the customer's own contact (a reply keyboard, not inline)."""
REMOVE_KEYBOARD = ("", "keyboard:remove")
"""As the only button: take a reply keyboard away."""
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class HelpedCallback(CallbackData, prefix="helped"):
    message_id: int


class PickCallback(CallbackData, prefix="pick"):
    """A clarify candidate: the clarify message and the candidate's index on it."""

    message_id: int
    index: int


class HumanCallback(CallbackData, prefix="human"):
    """Talk to a person."""


class ReopenCallback(CallbackData, prefix="reopen"):
    """Still not fixed."""


class LanguageCallback(CallbackData, prefix="lang"):
    code: str


class PulseCallback(CallbackData, prefix="pulse"):
    """A score on a satisfaction pulse (``question`` skip, value 0: no comment)."""

    pulse_id: int
    question: str
    value: int


def reply_buttons(reply: Reply) -> list[tuple[str, str]]:
    lang = reply.language
    buttons: list[tuple[str, str]] = []
    if reply.kind == ReplyKind.ANSWER and reply.message_id is not None:
        buttons.append((t(lang, "btn_helped"), HelpedCallback(message_id=reply.message_id).pack()))
    elif reply.kind == ReplyKind.CLARIFY and reply.message_id is not None:
        for i, candidate in enumerate(reply.candidates):
            pick = PickCallback(message_id=reply.message_id, index=i)
            buttons.append((_label(candidate.question), pick.pack()))
    if reply.kind in (
        ReplyKind.ANSWER,
        ReplyKind.CLARIFY,
        ReplyKind.UNSUPPORTED,
        ReplyKind.ORDER_STATUS,
    ):
        buttons.append((t(lang, "btn_human"), HumanCallback().pack()))
        if reply.reopenable_case_id is not None:
            buttons.append((t(lang, "btn_reopen"), ReopenCallback().pack()))
    return buttons


def language_buttons() -> list[tuple[str, str]]:
    return [(name, LanguageCallback(code=code).pack()) for code, name in LANGUAGE_NAMES.items()]


def phone_request(lang: str | None) -> tuple[str, list[tuple[str, str]]]:
    """The message asking for the customer's phone, and its contact button."""
    return t(lang, "ask_phone"), [(t(lang, "btn_share_phone"), CONTACT_REQUEST)]


def markup(buttons: Sequence[tuple[str, str]]) -> Markup | None:
    """One button per row; data starting with http(s):// becomes a link button;
    ``CONTACT_REQUEST`` a one-time reply keyboard asking for the contact."""
    if not buttons:
        return None
    if tuple(buttons[0]) == REMOVE_KEYBOARD:
        return ReplyKeyboardRemove(remove_keyboard=True)
    if buttons[0][1] == CONTACT_REQUEST:
        button = KeyboardButton(text=buttons[0][0], request_contact=True)
        return ReplyKeyboardMarkup(
            keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True
        )
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
