"""Inline buttons: Helped, Talk to a person, a clarify candidate, Still not fixed, a language,
a satisfaction pulse score."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.common import deliver, identity
from bot.keyboards import (
    HelpedCallback,
    HumanCallback,
    LanguageCallback,
    PickCallback,
    PulseCallback,
    ReopenCallback,
)
from bot.outbound import TelegramOutbound
from bot.texts import LANGUAGES, t
from core.config import Settings
from core.conversation import buttons
from core.conversation.inbound import Inbound, identify
from core.conversation.intents import Intent
from core.conversation.turn import Conversation
from core.customers import identities
from core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from core.feedback import pulse_answers, pulse_texts

log = logging.getLogger(__name__)


def router() -> Router:
    r = Router(name="callbacks")
    r.callback_query.register(helped, HelpedCallback.filter())
    r.callback_query.register(pick, PickCallback.filter())
    r.callback_query.register(escalate, HumanCallback.filter())
    r.callback_query.register(escalate, ReopenCallback.filter())
    r.callback_query.register(language, LanguageCallback.filter(F.code.in_(LANGUAGES)))
    r.callback_query.register(pulse, PulseCallback.filter())
    r.callback_query.register(stale)  # malformed or unknown data, an unknown language
    return r


async def helped(
    query: CallbackQuery, callback_data: HelpedCallback, session: AsyncSession
) -> None:
    who = identity(query.from_user)
    try:
        await buttons.mark_helped(
            session,
            channel=who.channel,
            external_id=who.external_id,
            message_id=callback_data.message_id,
        )
    except (NotAllowed, NotFound, InvalidInput) as exc:
        log.info("stale 'helped' button from %s: %s", who.external_id, exc)
        await stale(query, session)
        return
    await acknowledge(query, t(await _language(session, query), "helped"))


async def pick(
    query: CallbackQuery,
    callback_data: PickCallback,
    session: AsyncSession,
    outbound: TelegramOutbound,
    conversation: Conversation,
) -> None:
    who = identity(query.from_user)
    try:
        reply = await conversation.pick(
            session,
            who=who,
            message_id=callback_data.message_id,
            index=callback_data.index,
            event_ref=tap_ref(query),
        )
    except (NotAllowed, NotFound, InvalidInput) as exc:
        log.info("stale clarify button from %s: %s", who.external_id, exc)
        await stale(query, session)
        return
    await acknowledge(query)
    await deliver(outbound, _chat_id(query), reply)


async def escalate(
    query: CallbackQuery,
    callback_data: HumanCallback | ReopenCallback,
    session: AsyncSession,
    outbound: TelegramOutbound,
    conversation: Conversation,
) -> None:
    """Talk to a person, or Still not fixed."""
    intent = Intent.HUMAN if isinstance(callback_data, HumanCallback) else Intent.REOPEN
    inbound = Inbound(
        identity=identity(query.from_user), intent=intent, via="button", event_ref=tap_ref(query)
    )
    reply = await conversation.handle(session, inbound)
    await acknowledge(query)
    await deliver(outbound, _chat_id(query), reply)


async def language(
    query: CallbackQuery,
    callback_data: LanguageCallback,
    session: AsyncSession,
    outbound: TelegramOutbound,
) -> None:
    ident = await identify(session, identity(query.from_user))
    assert ident.customer.id is not None
    await identities.set_language(
        session, customer_id=ident.customer.id, language=callback_data.code
    )
    await acknowledge(query)
    await outbound.send(str(_chat_id(query)), t(callback_data.code, "language_set"))


async def pulse(
    query: CallbackQuery,
    callback_data: PulseCallback,
    session: AsyncSession,
    outbound: TelegramOutbound,
    settings: Settings,
) -> None:
    """A score (or Skip) on a satisfaction pulse: ask the next question, or thank them."""
    who, lang = identity(query.from_user), await _language(session, query)
    try:
        prompt = await pulse_answers.handle_callback(
            session,
            data=callback_data.pack(),
            channel=who.channel,
            external_id=who.external_id,
            settings=settings,
            language=lang,
        )
    except InvalidTransition:  # expired, or not sent yet
        await acknowledge(query, t(lang, "pulse_closed"))
        return
    except (NotFound, InvalidInput) as exc:  # not this customer's pulse, an unknown question
        log.info("stale pulse button from %s: %s", who.external_id, exc)
        await stale(query, session)
        return
    await acknowledge(query)
    await _drop_buttons(query)
    chat = str(_chat_id(query))
    if prompt is None:
        await outbound.send(chat, pulse_texts.text(lang, "thanks"))
    else:
        await outbound.send(chat, prompt.text, buttons=prompt.buttons)


def tap_ref(query: CallbackQuery) -> str:
    """The tap as an event of the chat (a retried update is known by it)."""
    return f"tap:{query.id}"


async def acknowledge(query: CallbackQuery, text: str | None = None) -> None:
    """Answer the tap (Telegram stops the button's spinner, ``text`` shows as a notice). Best
    effort: the tap's work is done and stored by now, and an answer Telegram did not take (an
    outage, a query older than Telegram keeps) must not fail the update, whose retry would do
    that work again."""
    try:
        await query.answer(text)
    except TelegramAPIError as exc:
        log.info("could not answer the button tap %s: %s", query.id, exc)


async def _drop_buttons(query: CallbackQuery) -> None:
    """Take the answered question's buttons away, so a second tap is not offered. Best effort:
    an old or already edited message cannot lose them, and that changes nothing."""
    if query.message is None or query.bot is None:
        return
    try:
        await query.bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
        )
    except TelegramAPIError as exc:
        log.info("could not remove pulse buttons: %s", exc)


async def stale(query: CallbackQuery, session: AsyncSession) -> None:
    await acknowledge(query, t(await _language(session, query), "stale_button"))


async def _language(session: AsyncSession, query: CallbackQuery) -> str | None:
    who = identity(query.from_user)
    customer = await identities.find_customer(
        session, channel=who.channel, external_id=who.external_id
    )
    return customer.language if customer and customer.language else who.language


def _chat_id(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message is not None else query.from_user.id
