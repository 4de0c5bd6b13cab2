"""A customer proves a phone number on a channel (Telegram's "share my contact" sends the
user's own number): the phone joins them, so the CRM's record of that phone is the same person.

When the company already knows the phone as another customer's (a CRM import), a customer
created on first contact who is known only on chat channels, with no record of their own, is
that customer: their identities, cases, promises, pulses and compensations move to them and the
empty newcomer is deleted. Anyone else is not merged: the conflict is reported
(``identity_conflict``) for a person to settle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.identities import get_customer
from core.customers.keys import CRM_PREFIX, EMAIL, PHONE, held_by, phone_key
from core.models import (
    Author,
    Case,
    CaseEvent,
    ChannelIdentity,
    Compensation,
    CrmCase,
    Customer,
    CustomerOrder,
    Direction,
    IdentityConflict,
    Message,
    Promise,
    Pulse,
)

CHAT_CHANNELS = ("telegram", "web")
_OWNED = (Case, Compensation, Pulse, Promise, ChannelIdentity, CustomerOrder, CrmCase)


@dataclass(frozen=True, slots=True)
class Linked:
    customer_id: int
    """The customer the phone now belongs to (the one the newcomer became, after a merge)."""
    merged: bool = False
    conflict: bool = False


async def link_phone(
    session: AsyncSession, *, customer_id: int, phone: str, region: str, via: str
) -> Linked:
    """Attach ``phone`` to ``customer_id`` (see the module). ``via`` names where it was proved
    (``telegram``). Raises InvalidInput for an invalid number. Commits."""
    key = phone_key(phone, region=region)
    holder = (await held_by(session, [key])).get(key)
    if holder == customer_id:
        return Linked(customer_id)
    if holder is None:
        session.add(ChannelIdentity(customer_id=customer_id, channel=PHONE, external_id=key[1]))
        await session.commit()
        return Linked(customer_id)
    if await _chat_only(session, customer_id):
        await _merge(session, newcomer=customer_id, into=holder)
        await session.commit()
        session.expire_all()  # rows loaded before the merge still name the newcomer
        return Linked(holder, merged=True)
    session.add(
        IdentityConflict(
            channel=PHONE,
            external_id=key[1],
            holder_id=holder,
            claimant_id=customer_id,
            source=via,
            record_id=str(customer_id),
        )
    )
    await session.commit()
    return Linked(customer_id, conflict=True)


async def _chat_only(session: AsyncSession, customer_id: int) -> bool:
    """Known only on chat channels, with no orders or CRM cases of their own."""
    channels = (
        await session.exec(
            select(ChannelIdentity.channel).where(ChannelIdentity.customer_id == customer_id)
        )
    ).all()
    if any(c in (PHONE, EMAIL) or c.startswith(CRM_PREFIX) for c in channels):
        return False
    for model in (CustomerOrder, CrmCase):
        stmt = select(model.id).where(model.customer_id == customer_id).limit(1)
        if (await session.exec(stmt)).first() is not None:
            return False
    return True


async def _merge(session: AsyncSession, *, newcomer: int, into: int) -> None:
    old = await get_customer(session, newcomer)
    target = await get_customer(session, into)
    target.name = target.name or old.name
    target.language = target.language or old.language
    session.add(target)
    await session.flush()
    moves: list[Any] = [
        update(model).where(model.customer_id == newcomer).values(customer_id=into)  # type: ignore[arg-type]
        for model in _OWNED
    ]
    for column in ("holder_id", "claimant_id"):
        field = getattr(IdentityConflict, column)
        moves.append(update(IdentityConflict).where(field == newcomer).values({column: into}))
    session.expunge(old)
    for stmt in [*moves, delete(Customer).where(Customer.id == newcomer)]:  # type: ignore[arg-type]
        await session.exec(stmt.execution_options(synchronize_session=False))


async def ask_for_phone(session: AsyncSession, *, customer_id: int, case_id: int) -> bool:
    """Whether to ask the customer to share their phone: they asked about an order we could
    not find, no phone is known for them and they were never asked. Asking is recorded on the
    case (a ``phone_requested`` event), so nobody is asked twice. Commits when asking."""
    has_phone = (
        await session.exec(
            select(ChannelIdentity.id).where(
                ChannelIdentity.customer_id == customer_id, ChannelIdentity.channel == PHONE
            )
        )
    ).first()
    asked = (
        await session.exec(
            select(Message.id)
            .join(Case, col(Case.id) == col(Message.case_id))
            .where(Case.customer_id == customer_id, Message.event == CaseEvent.PHONE_REQUESTED)
        )
    ).first()
    if has_phone is not None or asked is not None:
        return False
    session.add(
        Message(
            case_id=case_id,
            direction=Direction.INTERNAL,
            channel="system",
            author=Author.SYSTEM,
            text="asked the customer to share their phone number",
            event=CaseEvent.PHONE_REQUESTED,
        )
    )
    await session.commit()
    return True
