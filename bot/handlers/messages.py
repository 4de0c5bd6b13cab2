"""Any other message: text, captions, stickers, photos, voice, documents, edited messages.
A text answering a satisfaction pulse's comment prompt is stored as the pulse's comment."""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.common import deliver, identity
from bot.outbound import TelegramOutbound
from bot.texts import is_still_not_fixed, render_reply
from core.config import Settings
from core.conversation.replies import Intent
from core.conversation.turn import handle_inbound
from core.feedback import pulse_answers
from core.models import MessageMeta
from core.ports import Retriever


def router() -> Router:
    r = Router(name="messages")
    r.message.register(on_message)
    r.edited_message.register(on_edited)
    return r


async def on_message(
    message: Message,
    session: AsyncSession,
    outbound: TelegramOutbound,
    retriever: Retriever,
    settings: Settings,
) -> None:
    await _handle(message, session, outbound, retriever, settings, edited=False)


async def on_edited(
    edited_message: Message,
    session: AsyncSession,
    outbound: TelegramOutbound,
    retriever: Retriever,
    settings: Settings,
) -> None:
    await _handle(edited_message, session, outbound, retriever, settings, edited=True)


async def _handle(
    message: Message,
    session: AsyncSession,
    outbound: TelegramOutbound,
    retriever: Retriever,
    settings: Settings,
    *,
    edited: bool,
) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    text = message.text or message.caption or ""
    intent = Intent.REOPEN if text and is_still_not_fixed(text) else Intent.MESSAGE
    comment = message.text if not edited and intent == Intent.MESSAGE else None
    if comment and await _pulse_comment(message, comment, session, outbound, settings):
        return
    reply = await handle_inbound(
        session,
        retriever=retriever,
        settings=settings,
        render=render_reply,
        text=text,
        attachments=attachments_of(message),
        edited=edited,
        intent=intent,
        meta=MessageMeta(telegram_message_id=message.message_id),
        **identity(message.from_user),
    )
    await deliver(outbound, message.chat.id, reply)


async def _pulse_comment(
    message: Message,
    text: str,
    session: AsyncSession,
    outbound: TelegramOutbound,
    settings: Settings,
) -> bool:
    """Store ``text`` as the comment of the pulse awaiting one and thank the customer; False
    when no pulse awaits a comment (the message goes to the conversation as usual)."""
    assert message.from_user is not None
    who = identity(message.from_user)
    thanks = await pulse_answers.capture_comment(
        session,
        channel=who["channel"],
        external_id=who["external_id"],
        text=text,
        settings=settings,
        language=who["language"],
    )
    if thanks is None:
        return False
    await outbound.send(str(message.chat.id), thanks)
    return True


def attachments_of(message: Message) -> list[dict[str, Any]]:
    """What the message carries besides text, as JSON for the case timeline."""
    found: list[dict[str, Any]] = []
    if message.sticker:
        s = message.sticker
        found.append({"type": "sticker", "file_id": s.file_id, "emoji": s.emoji})
    if message.photo:
        p = message.photo[-1]  # the largest size
        found.append({"type": "photo", "file_id": p.file_id, "width": p.width, "height": p.height})
    if message.voice:
        v = message.voice
        found.append(
            {
                "type": "voice",
                "file_id": v.file_id,
                "duration": v.duration,
                "mime_type": v.mime_type,
            }
        )
    if message.document:
        d = message.document
        found.append(
            {
                "type": "document",
                "file_id": d.file_id,
                "file_name": d.file_name,
                "mime_type": d.mime_type,
                "file_size": d.file_size,
            }
        )
    for kind in ("video", "audio", "video_note", "animation"):
        media = getattr(message, kind, None)
        if media is not None and not (kind == "animation" and message.document):
            found.append({"type": kind, "file_id": media.file_id})
    if not found and not (message.text or message.caption):
        found.append({"type": str(message.content_type)})
    return [{k: v for k, v in item.items() if v is not None} for item in found]
