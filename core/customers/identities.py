"""Customers and how they are known on each channel (Telegram user id, phone, email)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import CustomerNotFound, InvalidInput
from core.models import ChannelIdentity, Customer

DEEP_LINK_KINDS = ("order", "campaign", "ref", "promo")
"""``/start order_12345`` -> ``attributes["order"] = "12345"``; every payload is kept too."""
_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True, slots=True)
class Identified:
    customer: Customer
    identity: ChannelIdentity
    created: bool


async def find_customer(
    session: AsyncSession, *, channel: str, external_id: str
) -> Customer | None:
    stmt = (
        select(Customer)
        .join(ChannelIdentity, ChannelIdentity.customer_id == Customer.id)  # type: ignore[arg-type]
        .where(ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id)
    )
    return (await session.exec(stmt)).first()


async def get_customer(session: AsyncSession, customer_id: int) -> Customer:
    customer = await session.get(Customer, customer_id)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


async def identify(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    display_name: str | None = None,
    language: str | None = None,
) -> Identified:
    """Find the customer behind a channel identity, creating both on first contact.

    A known customer keeps the name and language the company already has; only missing data is
    filled in from the channel. Commits.
    """
    found = await _identity(session, channel=channel, external_id=external_id)
    if found is not None:
        customer = await get_customer(session, found.customer_id)
        changed = _fill_missing(customer, name=display_name, language=language)
        if display_name and found.display_name != display_name:
            found.display_name = display_name
            session.add(found)
            changed = True
        if changed:
            session.add(customer)
            await session.commit()
        return Identified(customer=customer, identity=found, created=False)
    customer = Customer(name=display_name, language=language)
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    identity = ChannelIdentity(
        customer_id=customer.id, channel=channel, external_id=external_id, display_name=display_name
    )
    session.add(identity)
    try:
        await session.commit()
    except IntegrityError:  # the same identity was created concurrently: use that one
        await session.rollback()
        return await identify(
            session,
            channel=channel,
            external_id=external_id,
            display_name=display_name,
            language=language,
        )
    return Identified(customer=customer, identity=identity, created=True)


async def store_deep_link(session: AsyncSession, *, customer_id: int, payload: str) -> Customer:
    """Keep a ``/start`` payload on the customer: ``order_123`` -> ``attributes["order"]``."""
    payload = payload.strip()
    if not _PAYLOAD_RE.match(payload):
        raise InvalidInput(f"deep-link payload {payload!r} is not 1-64 of A-Z a-z 0-9 _ -")
    customer = await get_customer(session, customer_id)
    attributes = dict(customer.attributes or {})
    kind, _, value = payload.partition("_")
    if kind.lower() in DEEP_LINK_KINDS and value:
        attributes[kind.lower()] = value
    history = list(attributes.get("start_payloads", []))
    if payload not in history:
        history.append(payload)
    attributes["start_payloads"] = history[-20:]
    customer.attributes = attributes
    session.add(customer)
    await session.commit()
    return customer


async def set_language(session: AsyncSession, *, customer_id: int, language: str) -> Customer:
    customer = await get_customer(session, customer_id)
    customer.language = language
    session.add(customer)
    await session.commit()
    return customer


async def _identity(
    session: AsyncSession, *, channel: str, external_id: str
) -> ChannelIdentity | None:
    stmt = select(ChannelIdentity).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
    )
    return (await session.exec(stmt)).first()


def _fill_missing(customer: Customer, *, name: str | None, language: str | None) -> bool:
    changed = False
    if name and not customer.name:
        customer.name = name[:200]
        changed = True
    if language and not customer.language:
        customer.language = language
        changed = True
    return changed


async def identities_of(session: AsyncSession, *, customer_id: int) -> list[ChannelIdentity]:
    stmt = (
        select(ChannelIdentity)
        .where(ChannelIdentity.customer_id == customer_id)
        .order_by(col(ChannelIdentity.id))
    )
    return list((await session.exec(stmt)).all())
