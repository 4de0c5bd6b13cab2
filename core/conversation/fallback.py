"""The two-step fallback (what Rasa calls two-stage fallback): an unsure bot first offers its
top candidates as choices, with "talk to a person" beside them; if the customer's next message
leaves it unsure again, it hands the case over instead of asking a second time."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Author, Message, ReplyKind

SECOND_UNSURE = "unsure_twice"
"""The escalation reason when the bot was unsure on two turns in a row."""


async def offered_before(session: AsyncSession, *, case_id: int) -> bool:
    """Whether the bot's last reply on the case offered choices (a clarify)."""
    stmt = (
        select(Message.reply_kind)
        .where(Message.case_id == case_id, Message.author == Author.BOT)
        .order_by(col(Message.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first() == ReplyKind.CLARIFY
