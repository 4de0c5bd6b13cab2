"""Contacts on other channels (a phone call, an email, a web chat, a store visit) recorded on the
right customer: matched by any identity the company already knows, else a new customer.

The identities given are all attached to the customer, so the next contact on any of them finds
the same person. A contact without an active case opens one, owned by a human (an operator
recorded it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.customers.keys import email_key, phone_key
from core.errors import InvalidInput
from core.models import (
    Author,
    Case,
    CaseStatus,
    ChannelIdentity,
    Customer,
    Direction,
    Message,
    MessageMeta,
    Owner,
    User,
)
from core.platform import auth

IDENTITY_CHANNELS = {
    "phone": "phone",
    "email": "email",
    "telegram_id": "telegram",
    "web_id": "web",
    "store_card": "store",
}
"""Identity kind in the API -> ChannelIdentity.channel it is stored under."""
INTERACTION_CHANNELS = ("phone", "email", "web", "store", "telegram")


@dataclass(frozen=True, slots=True)
class Recorded:
    customer: Customer
    case: Case
    message: Message
    customer_created: bool
    case_created: bool


def normalize_identity(kind: str, value: str, *, region: str = "RU") -> str:
    """A phone in E.164 (a national one read in ``region``), an e-mail lower-cased
    (``core.customers.keys``); other identities as given, stripped."""
    if kind == "phone":
        return phone_key(value, region=region)[1]
    if kind == "email":
        return email_key(value)[1]
    value = value.strip()
    if not value:
        raise InvalidInput(f"identity {kind} is empty")
    return value


async def record_interaction(
    session: AsyncSession,
    *,
    channel: str,
    identity: Mapping[str, str],
    direction: str,
    text: str,
    occurred_at: datetime,
    case_id: int | None = None,
    recorded_by: str | None = None,
    user: User | None = None,
    region: str = "RU",
) -> Recorded:
    """Record the interaction on the customer's case ``case_id`` (which ``user`` must have
    access to), else on their active case, else on a new case owned by a person."""
    if channel not in INTERACTION_CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(INTERACTION_CHANNELS)}")
    if direction not in (Direction.INBOUND, Direction.OUTBOUND):
        raise InvalidInput("direction must be 'in' or 'out'")
    pairs = _identity_pairs(identity, region)
    customer, created = await _match_customer(session, pairs)
    assert customer.id is not None
    case, case_created = await _target_case(
        session, customer_id=customer.id, case_id=case_id, channel=channel, user=user
    )
    assert case.id is not None
    message = Message(
        case_id=case.id,
        direction=Direction(direction),
        channel=channel,
        author=Author.CUSTOMER if direction == Direction.INBOUND else Author.OPERATOR,
        author_ref=recorded_by,
        text=text,
        meta=MessageMeta(recorded_by=recorded_by, interaction=True),
        created_at=occurred_at,
    )
    session.add(message)
    await session.commit()
    return Recorded(customer, case, message, created, case_created)


def _identity_pairs(identity: Mapping[str, str], region: str) -> list[tuple[str, str]]:
    pairs = []
    for kind, value in identity.items():
        if kind not in IDENTITY_CHANNELS:
            raise InvalidInput(
                f"unknown identity kind {kind!r}; use {', '.join(IDENTITY_CHANNELS)}"
            )
        if value is None:
            continue
        pairs.append((IDENTITY_CHANNELS[kind], normalize_identity(kind, str(value), region=region)))
    if not pairs:
        raise InvalidInput("identity needs at least one of " + ", ".join(IDENTITY_CHANNELS))
    return pairs


async def _match_customer(
    session: AsyncSession, pairs: list[tuple[str, str]]
) -> tuple[Customer, bool]:
    """The customer known by the first matching identity; the other identities join them."""
    known: dict[tuple[str, str], ChannelIdentity] = {}
    for channel, external_id in pairs:
        stmt = select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
        row = (await session.exec(stmt)).first()
        if row is not None:
            known[(channel, external_id)] = row
    created = not known
    if known:
        customer = await session.get(Customer, next(iter(known.values())).customer_id)
        assert customer is not None
    else:
        customer = Customer()
        session.add(customer)
        await session.flush()
    assert customer.id is not None
    for channel, external_id in pairs:
        if (channel, external_id) not in known:
            session.add(
                ChannelIdentity(customer_id=customer.id, channel=channel, external_id=external_id)
            )
    await session.flush()
    return customer, created


async def _target_case(
    session: AsyncSession,
    *,
    customer_id: int,
    case_id: int | None,
    channel: str,
    user: User | None,
) -> tuple[Case, bool]:
    if case_id is not None:
        case = await lifecycle.get_case(session, case_id)
        if user is not None:
            auth.require_case_access(user, case)
        if case.customer_id != customer_id:
            raise InvalidInput(f"case {case_id} belongs to another customer than this identity")
        return case, False
    stmt = (
        select(Case)
        .where(Case.customer_id == customer_id, col(Case.status).in_(lifecycle.ACTIVE))
        .order_by(col(Case.opened_at).desc(), col(Case.id).desc())
    )
    active = (await session.exec(stmt)).first()
    if active is not None:
        return active, False
    case = await lifecycle.open_case(session, customer_id=customer_id, channel=channel)
    assert case.id is not None
    case = await lifecycle.escalate(session, case_id=case.id, reason=f"{channel} interaction")
    assert case.status == CaseStatus.OPEN and case.owner == Owner.HUMAN
    return case, True
