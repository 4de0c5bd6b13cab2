"""Edits and button taps are events of their own (``Inbound.ref``): each is stored once however
often its update is processed, and an edit is never mistaken for its message received again.

The chaos day found a "Talk to a person" tap whose reply was stored and then never handed to the
sender: the update was processed again and nothing recognised the tap, so a second reply went
out and the first stayed without any delivery state for ever."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.conversation.inbound import Identity, Inbound
from core.conversation.intents import Intent
from core.conversation.replies import Reply, ReplyKind
from core.conversation.turn import Conversation
from core.models import Author, Direction, Message
from core.ports import Retriever


def render(reply: Reply) -> str:
    return "" if reply.kind == ReplyKind.QUEUED else str(reply.kind)


async def _handle(session: AsyncSession, kb: Retriever, settings: Settings, **kw: Any) -> Reply:
    conversation = Conversation(retriever=kb, settings=settings, render=render)
    who = Identity(channel="telegram", external_id="42")
    return await conversation.handle(session, Inbound(identity=who, **kw))


async def _timeline(session: AsyncSession, case_id: int | None) -> list[Message]:
    stmt = (
        select(Message)
        .where(Message.case_id == (case_id or 0), Message.direction != Direction.INTERNAL)
        .order_by(col(Message.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


async def _handed_over(session: AsyncSession, reply: Reply) -> None:
    """What the sender records on the reply's message when it sends it."""
    message = (await _timeline(session, reply.case_id))[-1]
    message.meta = message.meta.with_(delivery="sent")
    session.add(message)
    await session.commit()


async def test_a_tap_whose_reply_was_never_handed_over_is_kept_once_and_answered(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    tap = {"intent": Intent.HUMAN, "via": "button", "event_ref": "tap:5501"}
    first = await _handle(session, knowledge_base, settings, **tap)
    assert first.kind == ReplyKind.ESCALATED  # stored; the process died before handing it over
    again = await _handle(session, knowledge_base, settings, **tap)
    timeline = await _timeline(session, first.case_id)
    assert [m.author for m in timeline] == [Author.CUSTOMER, Author.BOT, Author.BOT]
    assert timeline[0].channel_message_id == "tap:5501"
    orphan = timeline[1]
    assert orphan.meta.delivery == "failed" and "answered again" in (orphan.meta.reason or "")
    assert again.kind == ReplyKind.ALREADY_QUEUED  # a person has the case since the first try


async def test_a_tap_answered_before_the_crash_is_not_answered_twice(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    tap = {"intent": Intent.HUMAN, "via": "button", "event_ref": "tap:5502"}
    first = await _handle(session, knowledge_base, settings, **tap)
    await _handed_over(session, first)
    again = await _handle(session, knowledge_base, settings, **tap)
    assert again.kind == ReplyKind.QUEUED and again.text == ""
    assert len(await _timeline(session, first.case_id)) == 2
    other = await _handle(session, knowledge_base, settings, **{**tap, "event_ref": "tap:5503"})
    assert other.kind == ReplyKind.ALREADY_QUEUED  # another tap of the same button is new


async def test_an_edit_is_stored_beside_its_message_and_once(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    first = await _handle(
        session, knowledge_base, settings, text="How do I return an item?", channel_message_id=9
    )
    edit = {"text": "How do I return a parcel?", "channel_message_id": 9, "edited": True}
    edited = await _handle(session, knowledge_base, settings, **edit, event_ref="9@1700000100")
    await _handed_over(session, edited)
    again = await _handle(session, knowledge_base, settings, **edit, event_ref="9@1700000100")
    later = await _handle(session, knowledge_base, settings, **edit, event_ref="9@1700000200")
    assert first.kind == ReplyKind.ANSWER
    assert edited.kind == ReplyKind.UNSUPPORTED and edited.reason == "edited"
    assert again.kind == ReplyKind.QUEUED  # the same edit's update, processed again
    assert later.kind == ReplyKind.UNSUPPORTED  # a second edit of the message is new
    inbound = [m for m in await _timeline(session, first.case_id) if m.author == Author.CUSTOMER]
    assert [(m.text[-7:], m.meta.edited) for m in inbound] == [
        ("n item?", False),
        ("parcel?", True),
        ("parcel?", True),
    ]
    assert [m.meta.telegram_message_id for m in inbound] == [9, 9, 9]
