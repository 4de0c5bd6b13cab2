"""A customer message that arrives again: Telegram updates are processed at least once (a
process killed after storing a message and before marking its update done hands the update to
the next one), so the message is recognised by its channel's reference (the message id; an
edit's or a button tap's own id, ``Inbound.ref``) and kept once. A reply
that was handed to the sender is not given twice; a reply stored but never handed over (the
process died in between) is marked failed on the timeline, and the message is answered again
unless another reply to it went out."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.conversation.inbound import Identity
from core.models import Author, DeliveryStatus, Message


async def earlier_copy(session: AsyncSession, *, who: Identity, ref: str | None) -> Message | None:
    """The stored copy of this message, edit or button tap (``Inbound.ref``), if it was
    received before."""
    if ref is None:
        return None
    stmt = select(Message).where(
        Message.channel == who.channel,
        Message.author_ref == who.external_id,
        Message.channel_message_id == ref,
        Message.author == Author.CUSTOMER,
    )
    return (await session.exec(stmt.limit(1))).first()


async def answered_after(session: AsyncSession, message: Message) -> bool:
    """Whether a bot reply after ``message`` was handed to the sender. Replies stored but never
    handed over are marked failed (committed), so they show as not sent: all of them when none
    was (the message is answered again), and a later one (a second message of the same answer,
    such as the phone request) when the first went out."""
    stmt = select(Message).where(
        Message.case_id == message.case_id,
        Message.author == Author.BOT,
        col(Message.id) > (message.id or 0),
    )
    replies = list((await session.exec(stmt)).all())
    handed = any(r.meta.delivery is not None for r in replies)
    orphans = [r for r in replies if r.meta.delivery is None]
    reason = "not sent: the process stopped" + ("" if handed else "; answered again")
    for orphan in orphans:
        orphan.meta = orphan.meta.with_(delivery=DeliveryStatus.FAILED, reason=reason)
        session.add(orphan)
    if orphans:
        await session.commit()
    return handed
