"""A customer shares their own phone on a chat channel (Telegram's contact button): it joins
them (``core.customers.linking``), and if it makes them a customer the company knows, their
latest order is told at once, so they need not ask again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.conversation.inbound import Identity, identify
from core.conversation.replies import OrderStatus
from core.customers.identities import get_customer
from core.customers.linking import link_phone
from core.customers.profile import latest_order


@dataclass(frozen=True, slots=True)
class PhoneShared:
    customer_id: int
    language: str | None
    order: OrderStatus | None
    """Their latest order, now that the phone found it (None: none known)."""


async def share_phone(
    session: AsyncSession, *, who: Identity, phone: str, settings: Settings
) -> PhoneShared:
    """Link ``phone`` to the person ``who`` (raises InvalidInput for an invalid number)."""
    ident = await identify(session, who)
    assert ident.customer.id is not None
    linked = await link_phone(
        session,
        customer_id=ident.customer.id,
        phone=phone,
        region=settings.default_region,
        via=who.channel,
    )
    customer = await get_customer(session, linked.customer_id)
    order = await latest_order(session, customer_id=linked.customer_id)
    status = (
        OrderStatus(order.number, order.status, order.promised_at, order.delivered_at)
        if order is not None and not linked.conflict
        else None
    )
    return PhoneShared(linked.customer_id, customer.language, status)
