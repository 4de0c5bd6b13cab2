"""The words of the bot's replies in the customer's language: the ``bot.*`` messages of the
catalogue (``core.i18n``). :func:`render_reply` is the ``render`` the Telegram bot and the web
chat hand to the :class:`~core.conversation.turn.Conversation`."""

from __future__ import annotations

from core import i18n
from core.conversation.replies import KB_UNAVAILABLE, OrderStatus, Reply, ReplyKind

FILE_KINDS = ("photo", "voice", "document")
LANGUAGE_NAMES = {"ru": "Русский", "uk": "Українська", "ro": "Română", "en": "English"}


def t(language: str | None, key: str, **values: object) -> str:
    return i18n.text(language, f"bot.{key}", **values)


UPSET = frozenset(("angry", "harm", "legal_threat"))
"""Escalation reasons (``core.conversation.handover``) that open the reply with an apology."""


def render_reply(reply: Reply) -> str:
    """The text of a core Reply in the customer's language (the ``render`` of the Conversation)."""
    lang = reply.language
    if reply.kind == ReplyKind.ANSWER and reply.answer is not None:
        text = reply.answer.text
        written_in = reply.answer.text_language
        if written_in and lang and written_in != lang and written_in in LANGUAGE_NAMES:
            text = f"{t(lang, 'answer_language', name=LANGUAGE_NAMES[written_in])}\n\n{text}"
        if reply.answer.sources:
            text += f"\n\n{t(lang, 'source')}: {reply.answer.sources[0].question}"
        return text
    if reply.kind == ReplyKind.CLARIFY:
        return t(lang, "clarify")
    if reply.kind in (ReplyKind.ESCALATED, ReplyKind.REOPENED, ReplyKind.ALREADY_QUEUED):
        queue = reply.queue
        key = str(reply.kind)
        if queue is None or queue.position == 0:
            key = "escalated_assigned"
        position, wait = (queue.position, queue.expected_wait_minutes) if queue else (0, 0)
        text = t(lang, key, case=reply.case_id, position=position, wait=wait)
        if reply.reason == KB_UNAVAILABLE:
            return f"{t(lang, 'kb_unavailable')} {text}"
        return f"{t(lang, 'sorry')} {text}" if reply.reason in UPSET else text
    if reply.kind == ReplyKind.UNSUPPORTED:
        reason = reply.reason or "empty"
        if reason in FILE_KINDS or not i18n.has(f"bot.unsupported_{reason}"):
            what = reason if reason in FILE_KINDS else "media"
            return t(lang, "unsupported_file", what=t(lang, f"what_{what}"))
        return t(lang, f"unsupported_{reason}")
    if reply.kind == ReplyKind.RESOLVED:
        return t(lang, "helped")
    if reply.kind == ReplyKind.SMALL_TALK:
        return t(lang, f"small_talk_{reply.reason}")
    if reply.kind == ReplyKind.ORDER_STATUS and reply.order is not None:
        return order_status(lang, reply.order)
    if reply.kind == ReplyKind.INCIDENT and reply.notice:
        return reply.notice
    return ""


def order_status(lang: str | None, order: OrderStatus) -> str:
    """ "Your order 100311: shipped. Promised delivery: 06.11.2026." in the customer's language."""
    lines = [t(lang, "order_status", number=order.number, status=order.status or "?")]
    if order.delivered_at is not None:
        lines.append(t(lang, "order_delivered", date=f"{order.delivered_at:%d.%m.%Y}"))
    elif order.promised_at is not None:
        lines.append(t(lang, "order_promised", date=f"{order.promised_at:%d.%m.%Y}"))
    return " ".join(lines)
