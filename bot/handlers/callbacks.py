"""Inline buttons: Helped, Talk to a person, a clarify candidate, Still not fixed, a language,
a satisfaction pulse score."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.handlers.common import deliver, identity
from bot.keyboards import HUMAN, REOPEN
from bot.outbound import TelegramOutbound
from bot.texts import LANGUAGES, render_reply, t
from core.config import Settings
from core.conversation import buttons, turn
from core.conversation.replies import Intent
from core.customers import identities
from core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from core.feedback import pulse_answers, pulse_texts
from core.models import MessageMeta
from core.ports import Retriever

log = logging.getLogger(__name__)


def router() -> Router:
    r = Router(name="callbacks")
    r.callback_query.register(helped, F.data.startswith("helped:"))
    r.callback_query.register(pick, F.data.startswith("pick:"))
    r.callback_query.register(escalate, F.data.in_({HUMAN, REOPEN}))
    r.callback_query.register(language, F.data.startswith("lang:"))
    r.callback_query.register(pulse, F.data.startswith("pulse:"))
    r.callback_query.register(stale)
    return r


async def helped(query: CallbackQuery, session: AsyncSession) -> None:
    who = identity(query.from_user)
    try:
        await buttons.mark_helped(
            session,
            channel=who["channel"],
            external_id=who["external_id"],
            message_id=_int(query.data, 1),
        )
    except (NotAllowed, NotFound, InvalidInput) as exc:
        log.info("stale 'helped' button from %s: %s", who["external_id"], exc)
        await stale(query, session)
        return
    await query.answer(t(await _language(session, query), "helped"))


async def pick(
    query: CallbackQuery,
    session: AsyncSession,
    outbound: TelegramOutbound,
    retriever: Retriever,
    settings: Settings,
) -> None:
    who = identity(query.from_user)
    try:
        reply = await buttons.pick_candidate(
            session,
            retriever=retriever,
            settings=settings,
            render=render_reply,
            channel=who["channel"],
            external_id=who["external_id"],
            message_id=_int(query.data, 1),
            index=_int(query.data, 2),
        )
    except (NotAllowed, NotFound, InvalidInput) as exc:
        log.info("stale clarify button from %s: %s", who["external_id"], exc)
        await stale(query, session)
        return
    await query.answer()
    await deliver(outbound, _chat_id(query), reply)


async def escalate(
    query: CallbackQuery,
    session: AsyncSession,
    outbound: TelegramOutbound,
    retriever: Retriever,
    settings: Settings,
) -> None:
    intent = Intent.HUMAN if query.data == HUMAN else Intent.REOPEN
    reply = await turn.handle_inbound(
        session,
        retriever=retriever,
        settings=settings,
        render=render_reply,
        intent=intent,
        meta=MessageMeta(via="button"),
        **identity(query.from_user),
    )
    await query.answer()
    await deliver(outbound, _chat_id(query), reply)


async def language(query: CallbackQuery, session: AsyncSession, outbound: TelegramOutbound) -> None:
    code = (query.data or "").partition(":")[2]
    if code not in LANGUAGES:
        await stale(query, session)
        return
    ident = await identities.identify(session, **identity(query.from_user))
    assert ident.customer.id is not None
    await identities.set_language(session, customer_id=ident.customer.id, language=code)
    await query.answer()
    await outbound.send(str(_chat_id(query)), t(code, "language_set"))


async def pulse(
    query: CallbackQuery, session: AsyncSession, outbound: TelegramOutbound, settings: Settings
) -> None:
    """A score (or Skip) on a satisfaction pulse: ask the next question, or thank them."""
    who, lang = identity(query.from_user), await _language(session, query)
    try:
        prompt = await pulse_answers.handle_callback(
            session,
            data=query.data or "",
            channel=who["channel"],
            external_id=who["external_id"],
            settings=settings,
            language=lang,
        )
    except InvalidTransition:  # expired, or not sent yet
        await query.answer(t(lang, "pulse_closed"))
        return
    except (NotFound, InvalidInput) as exc:  # not this customer's pulse, or malformed
        log.info("stale pulse button from %s: %s", who["external_id"], exc)
        await stale(query, session)
        return
    await query.answer()
    await _drop_buttons(query)
    chat = str(_chat_id(query))
    if prompt is None:
        await outbound.send(chat, pulse_texts.text(lang, "thanks"))
    else:
        await outbound.send(chat, prompt.text, buttons=prompt.buttons)


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
    await query.answer(t(await _language(session, query), "stale_button"))


async def _language(session: AsyncSession, query: CallbackQuery) -> str | None:
    who = identity(query.from_user)
    customer = await identities.find_customer(
        session, channel=who["channel"], external_id=who["external_id"]
    )
    return customer.language if customer and customer.language else who["language"]


def _chat_id(query: CallbackQuery) -> int:
    return query.message.chat.id if query.message is not None else query.from_user.id


def _int(data: str | None, index: int) -> int:
    try:
        return int((data or "").split(":")[index])
    except (IndexError, ValueError):
        raise InvalidInput(f"malformed button data {data!r}") from None
