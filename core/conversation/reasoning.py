"""The contact reason of a case the bot worked on (``core.cases.reasons``): given once, when the
bot first answers from the knowledge base (the entry and its tags) or hands the case to a
person (the customer's first messages). Greetings, small talk, clarifying questions and words
that name no reason leave it open, so the first real question decides, or the resolution."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import reasons
from core.conversation.replies import Reply, ReplyKind
from core.ports import Retriever

DECIDING = (ReplyKind.ANSWER, ReplyKind.ESCALATED, ReplyKind.REOPENED, ReplyKind.ALREADY_QUEUED)


async def give_reason(
    session: AsyncSession, reply: Reply, *, retriever: Retriever, taxonomy: reasons.Taxonomy
) -> None:
    if reply.case_id is None or reply.kind not in DECIDING:
        return
    entry_id = reply.answer.entry_id if reply.answer is not None else None
    entry = retriever.entry(entry_id) if entry_id and reply.kind == ReplyKind.ANSWER else None
    await reasons.assign(
        session,
        case_id=reply.case_id,
        taxonomy=taxonomy,
        entry_id=entry.id if entry else None,
        tags=entry.tags if entry else (),
        final=False,
    )
