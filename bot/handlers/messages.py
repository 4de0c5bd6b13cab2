"""Any other message: text, captions, stickers, photos, voice, documents, edited messages,
each turned into an ``Inbound`` for the Conversation (which also knows a pulse's comment); and
the customer's own shared contact, whose phone joins them (``core.customers.linking``). While a
language model composes the answer, the chat shows "typing…"."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, F, Router
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.common import deliver, identity
from bot.keyboards import REMOVE_KEYBOARD
from bot.outbound import TelegramOutbound
from bot.texts import t
from core.conversation.contact import share_phone
from core.conversation.inbound import Attachment, Inbound
from core.conversation.turn import Conversation
from core.conversation.wording import order_status
from core.errors import InvalidInput

log = logging.getLogger(__name__)


def router() -> Router:
    r = Router(name="messages")
    r.message.register(on_own_contact, F.contact, own_contact)
    r.message.register(on_message)
    r.edited_message.register(on_edited)
    return r


async def on_message(
    message: Message, session: AsyncSession, outbound: TelegramOutbound, conversation: Conversation
) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    typing = None
    if conversation.assistant is not None and message.bot is not None:
        typing = asyncio.create_task(show_typing(message.bot, message.chat.id))
    try:
        reply = await conversation.handle(session, inbound_of(message, edited=False))
    finally:
        if typing is not None:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing
    await deliver(outbound, message.chat.id, reply)


TYPING_REFRESH_S = 4.5  # Telegram shows a chat action for about 5 seconds


async def show_typing(bot: Bot, chat_id: int) -> None:
    """ "typing…" in the chat until cancelled; a failed chat action is not worth an error."""
    with contextlib.suppress(Exception):
        while True:
            await bot.send_chat_action(chat_id=chat_id, action="typing")
            await asyncio.sleep(TYPING_REFRESH_S)


async def on_edited(
    edited_message: Message,
    session: AsyncSession,
    outbound: TelegramOutbound,
    conversation: Conversation,
) -> None:
    if edited_message.from_user is None or edited_message.from_user.is_bot:
        return
    reply = await conversation.handle(session, inbound_of(edited_message, edited=True))
    await deliver(outbound, edited_message.chat.id, reply)


def own_contact(message: Message) -> bool:
    """The sender shared their own phone number (Telegram's "share my contact")."""
    contact, user = message.contact, message.from_user
    return contact is not None and user is not None and contact.user_id == user.id


async def on_own_contact(
    message: Message, session: AsyncSession, outbound: TelegramOutbound, conversation: Conversation
) -> None:
    """The customer's own phone joins them, so the CRM's customer of that phone is them; their
    latest order, if that finds one, is told at once."""
    assert message.contact is not None and message.from_user is not None
    phone = message.contact.phone_number
    phone = phone if phone.startswith("+") else "+" + phone  # Telegram omits the plus
    who, settings = identity(message.from_user), conversation.settings
    try:
        shared = await share_phone(session, who=who, phone=phone, settings=settings)
    except InvalidInput as exc:
        log.info("shared contact not linked: %s", exc)
        return
    text = t(shared.language, "contact_linked")
    if shared.order is not None:
        text += "\n\n" + order_status(shared.language, shared.order)
    await outbound.send(str(message.chat.id), text, buttons=[REMOVE_KEYBOARD])


def inbound_of(message: Message, *, edited: bool) -> Inbound:
    """A Telegram message (or its edit) as the conversation takes it."""
    assert message.from_user is not None
    return Inbound(
        identity=identity(message.from_user),
        text=message.text or message.caption or "",
        attachments=attachments_of(message),
        edited=edited,
        channel_message_id=message.message_id,
        event_ref=edit_ref(message) if edited else None,
    )


def edit_ref(message: Message) -> str:
    """An edit keeps its message's id; with the edit's time it is an event of its own."""
    return f"{message.message_id}@{message.edit_date or 0}"  # edit_date: Unix time


def attachments_of(message: Message) -> tuple[Attachment, ...]:
    """What the message carries besides text, for the case timeline."""
    found: list[Attachment] = []
    if message.sticker:
        s = message.sticker
        found.append(Attachment("sticker", s.file_id, emoji=s.emoji))
    if message.photo:
        p = message.photo[-1]  # the largest size
        found.append(Attachment("photo", p.file_id, width=p.width, height=p.height))
    if message.voice:
        v = message.voice
        found.append(Attachment("voice", v.file_id, duration=v.duration, mime_type=v.mime_type))
    if message.document:
        d = message.document
        found.append(
            Attachment(
                "document",
                d.file_id,
                file_name=d.file_name,
                mime_type=d.mime_type,
                file_size=d.file_size,
            )
        )
    for kind in ("video", "audio", "video_note", "animation"):
        media = getattr(message, kind, None)
        if media is not None and not (kind == "animation" and message.document):
            found.append(Attachment(kind, media.file_id))
    if not found and not (message.text or message.caption):
        found.append(Attachment(str(message.content_type)))
    return tuple(found)
