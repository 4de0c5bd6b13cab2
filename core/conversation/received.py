"""A customer message that arrives again: Telegram updates are processed at least once (a
process killed after storing a message and before marking its update done hands the update to
the next one), so the message is recognised by its channel's message id and kept once, and a
message the bot already answered is not answered twice."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.conversation.inbound import Identity
from core.models import Author, Message


async def earlier_copy(
    session: AsyncSession, *, who: Identity, channel_message_id: int | None
) -> Message | None:
    """The stored copy of this message, if it was received before."""
    if channel_message_id is None:
        return None
    stmt = select(Message).where(
        Message.channel == who.channel,
        Message.author_ref == who.external_id,
        Message.channel_message_id == str(channel_message_id),
        Message.author == Author.CUSTOMER,
    )
    return (await session.exec(stmt.limit(1))).first()


async def answered_after(session: AsyncSession, message: Message) -> bool:
    """Whether the bot wrote on the case after ``message`` (its reply to it went out)."""
    stmt = select(Message.id).where(
        Message.case_id == message.case_id,
        Message.author == Author.BOT,
        col(Message.id) > (message.id or 0),
    )
    return (await session.exec(stmt.limit(1))).first() is not None
