"""One customer message in, at most one reply out (ARCHITECTURE: the flow of one message).

:func:`handle_inbound` identifies the customer, stores the message on the case timeline (and
commits, so it is never lost), then -- only if the bot owns the case -- asks the Retriever and
decides: answer, clarify or escalate. A human-owned case gets no bot reply: the message waits
for the operator. The wording of replies belongs to the front end, handed in as ``render``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.conversation.replies import (
    Intent,
    Render,
    Reply,
    ReplyKind,
    classify_content,
    reply_meta,
    small_talk,
)
from core.customers import identities
from core.domain import Answer, Decision, Source
from core.errors import BackendUnavailable, EntryNotFound
from core.models import Author, Case, CaseStatus, Customer, Direction, Message, Owner
from core.models.base import utcnow
from core.models.message_meta import MessageMeta
from core.ports import Retriever

DEFAULT_LANGUAGE = "en"
MAX_CANDIDATES = 3


async def handle_inbound(
    session: AsyncSession,
    *,
    retriever: Retriever,
    settings: Settings,
    render: Render,
    channel: str,
    external_id: str,
    text: str = "",
    display_name: str | None = None,
    language: str | None = None,
    attachments: Sequence[dict[str, Any]] = (),
    edited: bool = False,
    intent: Intent = Intent.MESSAGE,
    chosen_entry_id: str | None = None,
    meta: MessageMeta | None = None,
) -> Reply:
    """Store one inbound message and decide the bot's reply (see the module docstring).

    ``chosen_entry_id`` answers that knowledge entry directly (a tapped clarify button).
    """
    ident = await identities.identify(
        session,
        channel=channel,
        external_id=external_id,
        display_name=display_name,
        language=language,
    )
    customer = ident.customer
    case, reopened, reopenable = await _current_case(
        session, customer=customer, channel=channel, settings=settings, intent=intent
    )
    stored_meta = _inbound_meta(meta, edited=edited, intent=intent)
    await _store_inbound(session, case, external_id, text, attachments, stored_meta)
    if case.status == CaseStatus.PENDING:
        case = await lifecycle.resume(session, case_id=_id(case))
    draft = _queued(case, customer, reopenable)
    if reopened:
        return await _reply(session, draft, ReplyKind.REOPENED, render, settings=settings)
    if case.owner == Owner.HUMAN:
        if intent == Intent.MESSAGE:
            return draft  # the operator answers; the bot stays silent
        return await _reply(session, draft, ReplyKind.ALREADY_QUEUED, render, settings=settings)
    if intent == Intent.HUMAN or (intent == Intent.REOPEN and not text.strip()):
        return await _escalate(session, draft, render, settings=settings, reason="customer")
    reason = classify_content(text, attachments=attachments, edited=edited)
    if reason and not chosen_entry_id:
        return await _reply(session, draft, ReplyKind.UNSUPPORTED, render, reason=reason)
    chat = small_talk(text)
    if chat and not chosen_entry_id:
        return await _reply(session, draft, ReplyKind.SMALL_TALK, render, reason=chat)
    return await _ask(
        session,
        draft,
        render,
        retriever=retriever,
        settings=settings,
        text=text,
        chosen_entry_id=chosen_entry_id,
    )


def _inbound_meta(meta: MessageMeta | None, *, edited: bool, intent: Intent) -> MessageMeta:
    base = meta or MessageMeta()
    return base.with_(
        edited=edited or base.edited,
        intent=str(intent) if intent != Intent.MESSAGE else base.intent,
    )


def _queued(case: Case, customer: Customer, reopenable: int | None) -> Reply:
    """The reply to start from: silent, waiting in the queue."""
    return Reply(
        kind=ReplyKind.QUEUED,
        case_id=_id(case),
        customer_id=_id(customer),
        language=customer.language or DEFAULT_LANGUAGE,
        customer_name=customer.name,
        reopenable_case_id=reopenable,
    )


async def _store_inbound(
    session: AsyncSession,
    case: Case,
    external_id: str,
    text: str,
    attachments: Sequence[dict[str, Any]],
    meta: MessageMeta,
) -> Message:
    return await _store(
        session,
        case=case,
        direction=Direction.INBOUND,
        author=Author.CUSTOMER,
        author_ref=external_id,
        text=text,
        attachments=list(attachments),
        meta=meta,
    )


async def _current_case(
    session: AsyncSession, *, customer: Customer, channel: str, settings: Settings, intent: Intent
) -> tuple[Case, bool, int | None]:
    """(case, reopened, reopenable case id) for a new message from ``customer``."""
    active = await lifecycle.active_case(session, customer_id=_id(customer))
    last = None
    if active is None or active.owner == Owner.BOT:
        last = await lifecycle.reopenable_case(
            session, customer_id=_id(customer), settings=settings
        )
    if last is not None and intent == Intent.REOPEN:
        if active is not None:  # a fresh bot conversation gives way to the reopened case
            await lifecycle.resolve(
                session,
                case_id=_id(active),
                code="merged",
                by="customer",
                resolution=f"continued in reopened case {last.id}",
            )
            await lifecycle.close(session, case_id=_id(active))
        return await lifecycle.reopen(session, case_id=_id(last), settings=settings), True, None
    if active is None:
        active = await lifecycle.open_case(session, customer_id=_id(customer), channel=channel)
    return active, False, last.id if last is not None else None


async def _ask(
    session: AsyncSession,
    draft: Reply,
    render: Render,
    *,
    retriever: Retriever,
    settings: Settings,
    text: str,
    chosen_entry_id: str | None,
) -> Reply:
    try:
        if chosen_entry_id:
            answer = _entry_answer(retriever, chosen_entry_id, language=draft.language)
        else:
            answer = await retriever.ask(
                text, customer_ref=str(draft.customer_id), language=draft.language
            )
    except BackendUnavailable:
        return await _escalate(session, draft, render, settings=settings, reason="kb_unavailable")
    if answer.decision == Decision.ANSWER:
        return await _reply(session, draft, ReplyKind.ANSWER, render, answer=answer)
    if answer.decision == Decision.CLARIFY and answer.candidates:
        return await _reply(
            session,
            draft,
            ReplyKind.CLARIFY,
            render,
            answer=answer,
            candidates=answer.candidates[:MAX_CANDIDATES],
        )
    return await _escalate(
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
        entry_id=entry.id,
        confidence=1.0,
        decision=Decision.ANSWER,
        sources=(source,),
        language=language,
    )


async def _escalate(
    session: AsyncSession,
    draft: Reply,
    render: Render,
    *,
    settings: Settings,
    reason: str,
    answer: Answer | None = None,
) -> Reply:
    await lifecycle.escalate(session, case_id=draft.case_id, reason=reason)
    return await _reply(
        session, draft, ReplyKind.ESCALATED, render, settings=settings, answer=answer, reason=reason
    )


async def _reply(
    session: AsyncSession,
    draft: Reply,
    kind: ReplyKind,
    render: Render,
    *,
    settings: Settings | None = None,
    **fields: Any,
) -> Reply:
    """Render the reply, store it on the timeline as the bot's message, and commit."""
    if settings is not None:
        fields["queue"] = await lifecycle.queue_status(
            session, case_id=draft.case_id, settings=settings
        )
    reply = dataclasses.replace(draft, kind=kind, **fields)
    reply = dataclasses.replace(reply, text=render(reply))
    case = await lifecycle.get_case(session, reply.case_id)
    if kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY):
        case.first_response_at = case.first_response_at or utcnow()
        if reply.answer is not None and reply.answer.entry_id and kind == ReplyKind.ANSWER:
            case.knowledge_entry_id = reply.answer.entry_id
        session.add(case)
    message = await _store(
        session,
        case=case,
        direction=Direction.OUTBOUND,
        author=Author.BOT,
        author_ref=None,
        text=reply.text,
        attachments=[],
        meta=reply_meta(reply),
        reply_kind=reply.kind,
        entry_id=reply.answer.entry_id if reply.answer is not None else None,
    )
    return dataclasses.replace(reply, message_id=message.id)


async def _store(
    session: AsyncSession,
    *,
    case: Case,
    direction: Direction,
    author: Author,
    author_ref: str | None,
    text: str,
    attachments: list[dict[str, Any]],
    meta: MessageMeta,
    reply_kind: ReplyKind | None = None,
    entry_id: str | None = None,
) -> Message:
    message = Message(
        case_id=_id(case),
        direction=direction,
        channel=case.origin_channel,
        author=author,
        author_ref=author_ref,
        text=text,
        attachments=attachments,
        meta=meta,
        reply_kind=reply_kind,
        entry_id=entry_id,
    )
    session.add(message)
    await session.commit()
    return message


def _id(obj: Case | Customer) -> int:
    assert obj.id is not None
    return obj.id
