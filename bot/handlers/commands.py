"""/start (with a deep-link payload), /help, /human, /language."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.common import deliver, identity
from bot.keyboards import language_buttons
from bot.outbound import TelegramOutbound
from bot.texts import t
from core.conversation.inbound import Inbound, identify
from core.conversation.intents import Intent
from core.conversation.turn import Conversation
from core.customers import identities
from core.errors import InvalidInput

log = logging.getLogger(__name__)


def router() -> Router:
    r = Router(name="commands")
    r.message.register(start, CommandStart())
    r.message.register(help_, Command("help"))
    r.message.register(human, Command("human"))
    r.message.register(language, Command("language"))
    return r


async def start(
    message: Message, command: CommandObject, session: AsyncSession, outbound: TelegramOutbound
) -> None:
    assert message.from_user is not None
    who = identity(message.from_user)
    ident = await identify(session, who)
    customer = ident.customer
    assert customer.id is not None
    if command.args:
        try:
            customer = await identities.store_deep_link(
                session, customer_id=customer.id, payload=command.args
            )
        except InvalidInput as exc:
            log.info("ignored deep link from %s: %s", who.external_id, exc)
    lang = customer.language
    if ident.created or not customer.name:
        text = t(lang, "greet_new", name=f", {customer.name}" if customer.name else "")
    else:
        text = t(lang, "greet_back", name=customer.name)
    if order := customer.attributes.get("order"):
        text += " " + t(lang, "greet_order", order=order)
    await outbound.send(str(message.chat.id), text)


async def help_(message: Message, session: AsyncSession, outbound: TelegramOutbound) -> None:
    assert message.from_user is not None
    ident = await identify(session, identity(message.from_user))
    await outbound.send(str(message.chat.id), t(ident.customer.language, "help"))


async def human(
    message: Message, session: AsyncSession, outbound: TelegramOutbound, conversation: Conversation
) -> None:
    assert message.from_user is not None
    inbound = Inbound(
        identity=identity(message.from_user), text=message.text or "/human", intent=Intent.HUMAN
    )
    reply = await conversation.handle(session, inbound)
    await deliver(outbound, message.chat.id, reply)


async def language(message: Message, session: AsyncSession, outbound: TelegramOutbound) -> None:
    assert message.from_user is not None
    ident = await identify(session, identity(message.from_user))
    await outbound.send(
        str(message.chat.id),
        t(ident.customer.language, "choose_language"),
        buttons=language_buttons(),
    )
