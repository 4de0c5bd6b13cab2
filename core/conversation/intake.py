"""Taking in one customer message: identify the customer, find (or open, or reopen) their
case, store the message on its timeline and commit, so it is never lost; and storing the bot's
own messages the same way (``store``)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.conversation import received
from core.conversation.inbound import DEFAULT_LANGUAGE, Inbound, identify
from core.conversation.intents import Intent
from core.conversation.replies import Reply, ReplyKind
from core.models import Author, Case, CaseStatus, Customer, Direction, Message, Owner
from core.models.message_meta import MessageMeta


async def receive(
    session: AsyncSession, inbound: Inbound, intent: Intent, *, settings: Settings
) -> tuple[Reply, str, bool, bool]:
    """Identify the customer, find (or open, or reopen) the case and store the message on it:
    (the silent draft reply, who owns the case, whether it was reopened, whether it had been
    received and answered before)."""
    who = inbound.identity
    customer = (await identify(session, who)).customer
    ref = inbound.ref
    earlier = await received.earlier_copy(session, who=who, ref=ref)
    if earlier is not None:  # the same update again, after a crash: one copy on the timeline
        case = await lifecycle.get_case(session, earlier.case_id)
        repeat = await received.answered_after(session, earlier)
        return queued(case, customer, None), case.owner, False, repeat
    case, reopened, reopenable = await current_case(
        session, customer=customer, channel=who.channel, settings=settings, intent=intent
    )
    await store(
        session,
        case=case,
        direction=Direction.INBOUND,
        author=Author.CUSTOMER,
        author_ref=who.external_id,
        text=inbound.text,
        attachments=attachments_json(inbound),
        meta=inbound.meta(intent),
        channel_message_id=ref,
    )
    if case.status == CaseStatus.PENDING:
        case = await lifecycle.resume(session, case_id=id_of(case))
    return queued(case, customer, reopenable), case.owner, reopened, False


def attachments_json(inbound: Inbound) -> list[dict[str, Any]]:
    return [attachment.as_json() for attachment in inbound.attachments]


def queued(case: Case, customer: Customer, reopenable: int | None) -> Reply:
    """The reply to start from: silent, waiting in the queue."""
    return Reply(
        kind=ReplyKind.QUEUED,
        case_id=id_of(case),
        customer_id=id_of(customer),
        language=customer.language or DEFAULT_LANGUAGE,
        customer_name=customer.name,
        reopenable_case_id=reopenable,
    )


async def current_case(
    session: AsyncSession, *, customer: Customer, channel: str, settings: Settings, intent: Intent
) -> tuple[Case, bool, int | None]:
    """(case, reopened, reopenable case id) for a new message from ``customer``."""
    active = await lifecycle.active_case(session, customer_id=id_of(customer))
    last = None
    if active is None or active.owner == Owner.BOT:
        last = await lifecycle.reopenable_case(
            session, customer_id=id_of(customer), settings=settings
        )
    if last is not None and intent == Intent.REOPEN:
        if active is not None:  # a fresh bot conversation gives way to the reopened case
            await lifecycle.resolve(
                session,
                case_id=id_of(active),
                code="merged",
                by="customer",
                resolution=f"continued in reopened case {last.id}",
            )
            await lifecycle.close(session, case_id=id_of(active))
        return await lifecycle.reopen(session, case_id=id_of(last), settings=settings), True, None
    if active is None:
        active = await lifecycle.open_case(session, customer_id=id_of(customer), channel=channel)
    return active, False, last.id if last is not None else None


async def store(
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
    channel_message_id: str | None = None,
) -> Message:
    message = Message(
        case_id=id_of(case),
        direction=direction,
        channel=case.origin_channel,
        author=author,
        author_ref=author_ref,
        text=text,
        attachments=attachments,
        meta=meta,
        reply_kind=reply_kind,
        entry_id=entry_id,
        channel_message_id=channel_message_id,
    )
    session.add(message)
    await session.commit()
    return message


def id_of(obj: Case | Customer) -> int:
    assert obj.id is not None
    return obj.id
