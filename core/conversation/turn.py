"""One customer message in, at most one reply out (ARCHITECTURE: the flow of one message).

:class:`Conversation` is built once at start-up. Its :meth:`~Conversation.handle` takes an
:class:`~core.conversation.inbound.Inbound`, reads what the words ask for (``intents``),
identifies the customer, stores the message on the case timeline (and commits, so it is never
lost: ``intake``), then -- only if the bot owns the case -- answers an affected customer with an
active incident's message, "where is my order?" with the customer's own latest stored order, or
asks the Retriever and decides: answer, clarify or escalate (``respond`` stores the reply). An
order it cannot find has a Telegram user asked, once, for their phone. A
human-owned case gets no bot reply: the message waits for the operator. A plain text a
satisfaction pulse awaits as its comment is that comment (``comments``). The wording of replies
belongs to the front end, handed in as ``render``.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle, reasons
from core.config import Settings
from core.conversation import buttons, comments, fallback, intents
from core.conversation.inbound import Identity, Inbound
from core.conversation.intake import attachments_json, receive
from core.conversation.intents import Intent
from core.conversation.reasoning import give_reason
from core.conversation.replies import (
    KB_UNAVAILABLE,
    OrderStatus,
    Render,
    Reply,
    ReplyKind,
    classify_content,
)
from core.conversation.respond import bot_reply, case_of, escalate
from core.customers.linking import ask_for_phone
from core.customers.personal import personal_values
from core.customers.profile import latest_order
from core.domain import Answer, Decision, Source
from core.errors import BackendUnavailable, EntryNotFound
from core.grounding.compose import grounded
from core.grounding.rerank import reranked
from core.incidents.awareness import incident_answer
from core.models import Owner
from core.platform.updates import TELEGRAM
from core.ports import Assistant, Retriever

MAX_CANDIDATES = 3

log = logging.getLogger(__name__)


class Conversation:
    """The bot's side of the conversation, built once at start-up: the knowledge base, the
    settings and the front end's wording of replies do not change from message to message."""

    def __init__(
        self,
        *,
        retriever: Retriever,
        settings: Settings,
        render: Render,
        assistant: Assistant | None = None,
    ) -> None:
        self.retriever = retriever
        self.assistant = assistant
        self.settings = settings
        self.render = render
        self.taxonomy = reasons.for_settings(settings)

    async def handle(self, session: AsyncSession, inbound: Inbound) -> Reply:
        """Store one inbound message and decide the bot's reply (see the module docstring).

        A plain text while a satisfaction pulse awaits its comment is that comment instead.
        """
        intent = intents.recognize(inbound)
        if intent == Intent.MESSAGE and inbound.plain_text:
            thanks = await comments.pulse_comment(
                session, who=inbound.identity, text=inbound.text, settings=self.settings
            )
            if thanks is not None:
                return thanks
        reply = await self._turn(session, inbound, intent)
        await give_reason(session, reply, retriever=self.retriever, taxonomy=self.taxonomy)
        return reply

    async def pick(
        self,
        session: AsyncSession,
        *,
        who: Identity,
        message_id: int,
        index: int,
        event_ref: str | None = None,
    ) -> Reply:
        """The customer tapped candidate ``index`` of the clarify message ``message_id``
        (``event_ref``: the tap, as ``Inbound.event_ref``)."""
        chosen = await buttons.chosen_candidate(
            session, who=who, message_id=message_id, index=index
        )
        return await self.handle(session, dataclasses.replace(chosen, event_ref=event_ref))

    async def _turn(self, session: AsyncSession, inbound: Inbound, intent: Intent) -> Reply:
        settings, render, text = self.settings, self.render, inbound.text
        draft, owner, reopened, repeat = await receive(session, inbound, intent, settings=settings)
        if repeat:
            return draft  # received and answered before a crash: once is enough
        if reopened:
            return await bot_reply(session, draft, ReplyKind.REOPENED, render, settings=settings)
        if owner == Owner.HUMAN:
            if intent == Intent.MESSAGE:
                return draft  # the operator answers; the bot stays silent
            return await bot_reply(
                session, draft, ReplyKind.ALREADY_QUEUED, render, settings=settings
            )
        if intent == Intent.HUMAN or (intent == Intent.REOPEN and not text.strip()):
            return await escalate(session, draft, render, settings=settings, reason=_why(inbound))
        chosen = inbound.chosen_entry_id
        reason = classify_content(
            text, attachments=attachments_json(inbound), edited=inbound.edited
        )
        if reason and not chosen:
            return await bot_reply(session, draft, ReplyKind.UNSUPPORTED, render, reason=reason)
        chat = intents.small_talk(text)
        if chat and not chosen:
            return await bot_reply(session, draft, ReplyKind.SMALL_TALK, render, reason=chat)
        incident = await _about_incident(session, draft, text, render) if not chosen else None
        if incident is not None:
            return incident
        order = await _order_asked(session, draft, text) if not chosen else None
        if order is not None:
            return await bot_reply(session, draft, ReplyKind.ORDER_STATUS, render, order=order)
        reply = await _ask(
            session,
            draft,
            render,
            retriever=self.retriever,
            settings=settings,
            text=text,
            chosen_entry_id=chosen,
            assistant=self.assistant,
        )
        if not chosen and await _ask_phone(session, reply, inbound, text):
            reply = dataclasses.replace(reply, ask_phone=True)
        return reply


def _why(inbound: Inbound) -> str:
    """Why a message that asks for a person does: its words or sticker, else "customer" (a
    button or command)."""
    found = intents.handover_reason(inbound) if inbound.intent == Intent.MESSAGE else None
    return str(found or "customer")


async def _known(session: AsyncSession, draft: Reply, answer: Answer) -> frozenset[str]:
    """The customer's personal values, redacted from what goes to the language model (none
    is asked about an escalation)."""
    if answer.decision is Decision.ESCALATE:
        return frozenset()
    return (await personal_values(session, [draft.customer_id]))[draft.customer_id].values


async def _about_incident(
    session: AsyncSession, draft: Reply, text: str, render: Render
) -> Reply | None:
    """An affected customer writing about an active incident: its message, and the case is
    tagged with it (``core.incidents.awareness``)."""
    about = await incident_answer(
        session, customer_id=draft.customer_id, text=text, language=draft.language
    )
    if about is None:
        return None
    case = await lifecycle.get_case(session, case_of(draft))
    case.incident_id = about.incident_id
    session.add(case)
    await session.flush()
    return await bot_reply(session, draft, ReplyKind.INCIDENT, render, notice=about.text)


async def _order_asked(session: AsyncSession, draft: Reply, text: str) -> OrderStatus | None:
    """The customer's own latest order when they ask where their order is (and have one)."""
    if not intents.asks_order_status(text):
        return None
    order = await latest_order(session, customer_id=draft.customer_id)
    if order is None:
        return None
    return OrderStatus(order.number, order.status, order.promised_at, order.delivered_at)


async def _ask_phone(session: AsyncSession, reply: Reply, inbound: Inbound, text: str) -> bool:
    """An order asked about and not found: ask once for a Telegram user's phone."""
    if inbound.identity.channel != TELEGRAM or reply.case_id is None or reply.silent:
        return False
    if not intents.asks_order_status(text):
        return False
    return await ask_for_phone(session, customer_id=reply.customer_id, case_id=reply.case_id)


async def _ask(
    session: AsyncSession,
    draft: Reply,
    render: Render,
    *,
    retriever: Retriever,
    settings: Settings,
    text: str,
    chosen_entry_id: str | None,
    assistant: Assistant | None = None,
) -> Reply:
    try:
        if chosen_entry_id:
            answer = _entry_answer(retriever, chosen_entry_id, language=draft.language)
        else:
            answer = await retriever.ask(
                text, customer_ref=str(draft.customer_id), language=draft.language
            )
    except BackendUnavailable:
        return await escalate(session, draft, render, settings=settings, reason=KB_UNAVAILABLE)
    known = await _known(session, draft, answer) if assistant else frozenset[str]()
    if not chosen_entry_id:
        answer = await reranked(
            answer,
            question=text,
            assistant=assistant,
            lookup=retriever.entry,
            settings=settings,
            known=known,
        )
    if answer.decision == Decision.ANSWER:
        answer = await grounded(
            answer,
            question=text,
            assistant=assistant,
            lookup=retriever.entry,
            settings=settings,
            known=known,
        )
        return await bot_reply(session, draft, ReplyKind.ANSWER, render, answer=answer)
    if answer.decision == Decision.CLARIFY and answer.candidates:
        if not chosen_entry_id and await fallback.offered_before(session, case_id=case_of(draft)):
            reason = fallback.SECOND_UNSURE  # unsure on two turns in a row: a person takes over
            return await escalate(session, draft, render, settings=settings, reason=reason)
        return await bot_reply(
            session,
            draft,
            ReplyKind.CLARIFY,
            render,
            answer=answer,
            candidates=answer.candidates[:MAX_CANDIDATES],
        )
    return await escalate(
        session, draft, render, settings=settings, reason="no_answer", answer=answer
    )


def _entry_answer(retriever: Retriever, entry_id: str, *, language: str) -> Answer:
    entry = retriever.entry(entry_id)
    if entry is None:
        raise EntryNotFound(entry_id)
    question = entry.questions[0] if entry.questions else entry_id
    source = Source(entry_id=entry.id, question=question, score=1.0, location=entry.source)
    return Answer(
        text=entry.answer_in(language),
        text_language=entry.answer_language(language),
        entry_id=entry.id,
        confidence=1.0,
        decision=Decision.ANSWER,
        sources=(source,),
        language=language,
    )
