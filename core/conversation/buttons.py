"""Buttons under a bot reply: a tapped clarify candidate (:func:`chosen_candidate`, answered
through ``Conversation.pick``) and "Helped" (:func:`mark_helped`)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.conversation.inbound import Identity, Inbound
from core.customers import identities
from core.errors import InvalidInput, NotAllowed
from core.feedback import surveys
from core.models import Author, Case, Message, Owner


async def chosen_candidate(
    session: AsyncSession, *, who: Identity, message_id: int, index: int
) -> Inbound:
    """What tapping candidate ``index`` of the clarify message ``message_id`` says: its question,
    answered by its entry. NotAllowed when the message is not a bot message to ``who``."""
    message = await _own_bot_message(
        session, channel=who.channel, external_id=who.external_id, message_id=message_id
    )
    candidates = message.meta.candidates
    if not 0 <= index < len(candidates):
        raise InvalidInput(f"message {message_id} has no candidate {index}")
    chosen = candidates[index]
    return Inbound(
        identity=who,
        text=chosen.question,
        chosen_entry_id=chosen.entry_id,
        via="clarify_button",
        reply_to=message_id,
    )


async def mark_helped(
    session: AsyncSession, *, channel: str, external_id: str, message_id: int
) -> Case:
    """ "Helped" on a bot answer: feedback on the message; resolves the case if the bot owns it
    (and records its satisfaction pulse)."""
    message = await _own_bot_message(
        session, channel=channel, external_id=external_id, message_id=message_id
    )
    message.meta = message.meta.with_(feedback="helped")
    session.add(message)
    await session.commit()
    case = await lifecycle.get_case(session, message.case_id)
    if case.owner == Owner.BOT and case.status in lifecycle.ACTIVE:
        case = await lifecycle.resolve(
            session,
            case_id=_case_id(case),
            code="self_service",
            by="customer",
            knowledge_entry_id=message.entry_id,
        )
        # the worker applies the pulse policy
        await surveys.schedule_pulse(session, case_id=_case_id(case))
    return case


async def _own_bot_message(
    session: AsyncSession, *, channel: str, external_id: str, message_id: int
) -> Message:
    message = await session.get(Message, message_id)
    customer = await identities.find_customer(session, channel=channel, external_id=external_id)
    if message is None or customer is None or message.author != Author.BOT:
        raise NotAllowed(f"message {message_id} is not a bot message to this customer")
    case = await lifecycle.get_case(session, message.case_id)
    if case.customer_id != customer.id:
        raise NotAllowed(f"message {message_id} is not a bot message to this customer")
    return message


def _case_id(case: Case) -> int:
    assert case.id is not None
    return case.id
