"""core.conversation.turn / customers / updates with the real KB on real SQLite."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from factories import make_message
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.conversation.inbound import Attachment, Identity, Inbound
from core.conversation.intents import Intent, recognize, small_talk
from core.conversation.replies import Reply, ReplyKind, classify_content
from core.conversation.turn import Conversation
from core.customers import identities
from core.errors import InvalidInput, NotAllowed
from core.models import Author, Direction, InboundUpdate, Message, Owner
from core.models.base import utcnow
from core.platform import updates
from core.ports import Retriever


def render(reply: Reply) -> str:
    """A minimal renderer (the bot's is bot.texts.render_reply)."""
    if reply.kind == ReplyKind.QUEUED:
        return ""
    return f"{reply.kind}:{reply.answer.text if reply.answer else reply.reason or ''}"


def _who(external_id: str = "42", **kw: Any) -> Identity:
    return Identity(channel="telegram", external_id=external_id, **kw)


async def _inbound(
    session: AsyncSession, kb: Retriever, settings: Settings, text: str, **kw: Any
) -> Reply:
    conversation = Conversation(retriever=kb, settings=settings, render=render)
    who = _who(
        kw.pop("external_id", "42"),
        display_name=kw.pop("display_name", None),
        language=kw.pop("language", None),
    )
    return await conversation.handle(session, Inbound(identity=who, text=text, **kw))


async def _messages(session: AsyncSession, case_id: int) -> list[Message]:
    stmt = (
        select(Message)
        .where(Message.case_id == case_id, Message.direction != Direction.INTERNAL)
        .order_by(col(Message.id))
    )
    return list((await session.exec(stmt)).all())


async def test_answer_is_stored_and_returned(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    reply = await _inbound(
        session,
        knowledge_base,
        settings,
        "How do I return an item?",
        display_name="Anna",
        language="en",
    )
    assert reply.kind == ReplyKind.ANSWER and reply.answer is not None
    assert reply.answer.entry_id == "return-item"
    assert reply.text.startswith("answer:You can return an item within 14 days")
    assert reply.customer_name == "Anna" and reply.message_id is not None
    stored = await _messages(session, reply.case_id)
    assert [(m.direction, m.text[:11]) for m in stored] == [
        (Direction.INBOUND, "How do I re"),
        (Direction.OUTBOUND, "answer:You "),
    ]
    assert stored[1].entry_id == "return-item" and stored[1].meta.sources
    assert stored[1].reply_kind == ReplyKind.ANSWER


async def test_human_owned_case_gets_no_bot_reply(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    first = await _inbound(session, knowledge_base, settings, "", intent=Intent.HUMAN)
    assert first.kind == ReplyKind.ESCALATED and first.queue is not None
    assert first.queue.position == 1
    reply = await _inbound(
        session,
        knowledge_base,
        settings,
        "How do I return an item?",
        attachments=(Attachment("photo", "x"),),
    )
    assert reply.kind == ReplyKind.QUEUED and reply.silent and reply.message_id is None
    stored = await _messages(session, reply.case_id)
    assert stored[-1].direction == Direction.INBOUND
    assert stored[-1].attachments == [{"type": "photo", "file_id": "x"}]


async def test_pending_case_resumes_when_the_customer_writes(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    first = await _inbound(session, knowledge_base, settings, "", intent=Intent.HUMAN)
    await lifecycle.await_customer(session, case_id=first.case_id)
    reply = await _inbound(session, knowledge_base, settings, "Here is the receipt")
    case = await lifecycle.get_case(session, first.case_id)
    assert reply.silent and (case.status, case.owner) == ("open", Owner.HUMAN)


async def test_someone_elses_clarify_message_is_refused(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    reply = await _inbound(session, knowledge_base, settings, "How do I return an item?")
    assert reply.message_id is not None
    await identities.identify(session, channel="telegram", external_id="intruder")
    conversation = Conversation(retriever=knowledge_base, settings=settings, render=render)
    with pytest.raises(NotAllowed):
        await conversation.pick(session, who=_who("intruder"), message_id=reply.message_id, index=0)
    with pytest.raises(InvalidInput):  # an answer has no candidates to pick
        await conversation.pick(session, who=_who(), message_id=reply.message_id, index=0)


@pytest.mark.parametrize(
    ("text", "attachments", "edited", "reason"),
    [
        ("", [{"type": "sticker"}], False, "sticker"),
        ("", [], False, "empty"),
        ("🙂🙂", [], False, "emoji_only"),
        ("?!", [], False, "emoji_only"),
        ("x" * 1501, [], False, "too_long"),
        ("Where is my order?", [], True, "edited"),
        ("Where is my order?", [{"type": "photo"}], False, None),
        ("Где мой заказ?", [], False, None),
    ],
)
def test_classify_content(
    text: str, attachments: list[dict[str, Any]], edited: bool, reason: str | None
) -> None:
    assert classify_content(text, attachments=attachments, edited=edited) == reason


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Привет!", "greeting"),
        ("Добрый день", "greeting"),
        ("good morning :)", "greeting"),
        ("Вітаю", "greeting"),
        ("bună ziua", "greeting"),
        ("спасибо большое!", "thanks"),
        ("ok thanks", "thanks"),
        ("дякую", "thanks"),
        ("Mulțumesc frumos", "thanks"),
        ("Привет, где мой заказ?", None),  # a greeting with a question is a question
        ("thanks, but it is still broken", None),
        ("good", None),
        ("ok", None),
        ("", None),
    ],
)
def test_small_talk(text: str, kind: str | None) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("It is still not fixed, the order did not come", Intent.REOPEN),
        ("it still doesn’t work", Intent.REOPEN),
        ("Всё ещё не пришёл заказ", Intent.REOPEN),
        ("досі не працює", Intent.REOPEN),
        ("Tot nu e rezolvat", Intent.REOPEN),
        ("Where is my order?", Intent.MESSAGE),
        ("", Intent.MESSAGE),
    ],
)
def test_recognize_reads_still_not_fixed_in_each_language(text: str, intent: Intent) -> None:
    assert recognize(Inbound(identity=_who(), text=text)) == intent


def test_recognize_keeps_the_intent_a_button_stated() -> None:
    assert recognize(Inbound(identity=_who(), text="/human", intent=Intent.HUMAN)) == Intent.HUMAN


async def test_inbound_is_stored_with_its_channel_message_id_and_intent(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    reply = await _inbound(
        session, knowledge_base, settings, "still not fixed", channel_message_id=7, edited=True
    )
    assert reply.kind == ReplyKind.UNSUPPORTED and reply.reason == "edited"
    inbound = (await _messages(session, reply.case_id or 0))[0]
    assert inbound.meta.to_json() == {"telegram_message_id": 7, "edited": True, "intent": "reopen"}


async def test_identify_recognises_and_keeps_known_data(session: AsyncSession) -> None:
    first = await identities.identify(
        session, channel="telegram", external_id="7", display_name="Ann", language="en"
    )
    again = await identities.identify(
        session, channel="telegram", external_id="7", display_name="Ann K", language="ru"
    )
    assert first.created and not again.created
    assert again.customer.id == first.customer.id
    assert (again.customer.name, again.customer.language) == ("Ann", "en")
    assert again.identity.display_name == "Ann K"
    with pytest.raises(InvalidInput):
        await identities.store_deep_link(
            session, customer_id=first.customer.id or 0, payload="has spaces!"
        )
    customer = await identities.store_deep_link(
        session, customer_id=first.customer.id or 0, payload="campaign_spring"
    )
    assert customer.attributes["campaign"] == "spring"


async def test_update_claims(session: AsyncSession) -> None:
    assert await updates.enqueue_update(session, update_id=1, payload={"update_id": 1})
    assert not await updates.enqueue_update(session, update_id=1, payload={"update_id": 1})
    assert [u.update_id for u in await updates.pending_updates(session)] == [1]
    assert await updates.claim_update(session, update_id=1)
    assert not await updates.claim_update(session, update_id=1)
    assert await updates.claim_update(session, update_id=2, payload={"update_id": 2})
    assert not await updates.claim_update(session, update_id=2)
    # a worker that crashed mid-update: its claim goes stale and the update is taken again
    await session.exec(
        update(InboundUpdate)
        .where(col(InboundUpdate.update_id) == 2)  # type: ignore[call-overload]
        .values(claimed_at=utcnow() - timedelta(minutes=10))
    )
    await session.commit()
    assert [u.update_id for u in await updates.pending_updates(session)] == [2]
    assert await updates.claim_update(session, update_id=2)
    await updates.finish_update(session, update_id=2)
    assert not await updates.claim_update(session, update_id=2)


async def test_a_message_received_again_is_stored_and_answered_once(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    """Updates are processed at least once: a process killed after handling a message hands
    its update to the next one (the contact-centre day with kills stored one message twice)."""
    first = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=11
    )
    reply = (await _messages(session, first.case_id or 0))[-1]
    reply.meta = reply.meta.with_(delivery="sent")  # what the sender records when it sends
    session.add(reply)
    await session.commit()
    again = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=11
    )
    assert first.kind == ReplyKind.ANSWER and first.text
    assert again.kind == ReplyKind.QUEUED and again.text == "" and again.case_id == first.case_id
    timeline = await _messages(session, first.case_id or 0)
    assert [(m.author, m.text[:8]) for m in timeline] == [
        (Author.CUSTOMER, "How long"),
        (Author.BOT, first.text[:8]),
    ]
    other = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=12
    )
    assert other.kind == ReplyKind.ANSWER  # the same words in a new message are a new message


async def test_a_message_stored_before_a_crash_is_answered_on_the_retry(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    first = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=21
    )
    timeline = await _messages(session, first.case_id or 0)
    assert timeline[-1].meta.delivery is None  # stored, never handed to the sender: it died here
    again = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=21
    )
    assert again.kind == ReplyKind.ANSWER
    timeline = await _messages(session, first.case_id or 0)
    assert [m.author for m in timeline] == [Author.CUSTOMER, Author.BOT, Author.BOT]
    orphan = timeline[1]
    await session.refresh(orphan)
    assert orphan.meta.delivery == "failed" and "answered again" in (orphan.meta.reason or "")


async def test_a_second_reply_cut_off_by_a_crash_shows_as_not_sent(
    session: AsyncSession, knowledge_base: Retriever, settings: Settings
) -> None:
    """An answer of two messages (an answer, then the request for a phone): the process died
    after sending the first and before handing over the second. The update is taken again: the
    first is not sent twice, and the second shows as not sent instead of nothing at all (the
    chaos day found it with no delivery state, for ever)."""
    first = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=31
    )
    sent = (await _messages(session, first.case_id or 0))[-1]
    sent.meta = sent.meta.with_(delivery="sent")
    session.add(sent)
    second = await make_message(
        session, case_id=first.case_id, direction=Direction.OUTBOUND, author=Author.BOT,
        channel="telegram", text="Share your phone number?",
    )  # fmt: skip
    again = await _inbound(
        session, knowledge_base, settings, "How long does delivery take?", channel_message_id=31
    )
    assert again.kind == ReplyKind.QUEUED and again.text == ""  # the first is not sent twice
    await session.refresh(second)
    await session.refresh(sent)
    assert (
        second.meta.delivery == "failed" and second.meta.reason == "not sent: the process stopped"
    )
    assert sent.meta.delivery == "sent"
