"""The bot's reply on a turn: rendered by the front end's ``render``, stored on the case
timeline as the bot's message (first response time, the entry answered with), committed; an
escalation hands the case to a person first."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.conversation.intake import store
from core.conversation.replies import Render, Reply, ReplyKind, reply_meta
from core.domain import Answer
from core.models import Author, Direction
from core.models.base import utcnow

log = logging.getLogger("core.conversation.turn")  # the turn's log, as before the split


async def escalate(
    session: AsyncSession,
    draft: Reply,
    render: Render,
    *,
    settings: Settings,
    reason: str,
    answer: Answer | None = None,
) -> Reply:
    await lifecycle.escalate(session, case_id=case_of(draft), reason=reason)
    return await bot_reply(
        session, draft, ReplyKind.ESCALATED, render, settings=settings, answer=answer, reason=reason
    )


async def bot_reply(
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
            session, case_id=case_of(draft), settings=settings
        )
    reply = dataclasses.replace(draft, kind=kind, **fields)
    reply = dataclasses.replace(reply, text=render(reply))
    case = await lifecycle.get_case(session, case_of(reply))
    if kind in (ReplyKind.ANSWER, ReplyKind.CLARIFY, ReplyKind.ORDER_STATUS, ReplyKind.INCIDENT):
        case.first_response_at = case.first_response_at or utcnow()
        if reply.answer is not None and reply.answer.entry_id and kind == ReplyKind.ANSWER:
            case.knowledge_entry_id = reply.answer.entry_id
        session.add(case)
    message = await store(
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
    log.info(
        "bot reply",
        extra={"case_id": reply.case_id, "kind": str(kind), "entry_id": message.entry_id},
    )
    return dataclasses.replace(reply, message_id=message.id)


def case_of(reply: Reply) -> int:
    assert reply.case_id is not None  # a reply within a turn always has its case
    return reply.case_id
