"""Helpers shared by the handlers: who is writing, and sending a core Reply."""

from __future__ import annotations

from aiogram.types import User

from bot.keyboards import phone_request, reply_buttons
from bot.outbound import TelegramOutbound
from bot.texts import language_of
from core.conversation.inbound import Identity
from core.conversation.replies import Reply
from core.platform.updates import TELEGRAM


def identity(user: User) -> Identity:
    """Who a Telegram user is to the core services."""
    return Identity(
        channel=TELEGRAM,
        external_id=str(user.id),
        display_name=user.full_name or None,
        language=language_of(user.language_code),
    )


async def deliver(outbound: TelegramOutbound, chat_id: int, reply: Reply) -> None:
    """Send a Reply; a silent one (a human owns the case) sends nothing."""
    if reply.silent:
        return
    await outbound.send(
        str(chat_id), reply.text, buttons=reply_buttons(reply), message_ref=reply.message_id
    )
    if reply.ask_phone:  # a reply keyboard cannot share a message with inline buttons
        text, buttons = phone_request(reply.language)
        await outbound.send(str(chat_id), text, buttons=buttons)
