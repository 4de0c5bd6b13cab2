"""One customer as the company knows them: their record, identities, orders and past CRM cases,
and the identity conflicts that name them; and importing one customer with their orders
(``POST /v1/customers``), through the same upserts as a CRM sync (source ``api``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_store import store_customer, store_order
from core.customers.identities import get_customer, identities_of
from core.customers.keys import keys_of, resolve
from core.errors import IdentityTaken
from core.models import ChannelIdentity, CrmCase, Customer, CustomerOrder, IdentityConflict
from core.ports import CustomerData, OrderData

API_SOURCE = "api"


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    customer: Customer
    identities: list[ChannelIdentity]
    orders: list[CustomerOrder]
    """Newest first."""
    cases: list[CrmCase]
    """Newest first."""
    conflicts: list[IdentityConflict]
    created: bool = False


async def customer_profile(session: AsyncSession, *, customer_id: int) -> CustomerProfile:
    """Raises CustomerNotFound."""
    customer = await get_customer(session, customer_id)
    return CustomerProfile(
        customer=customer,
        identities=await identities_of(session, customer_id=customer_id),
        orders=await stored_orders(session, customer_id=customer_id),
        cases=await stored_cases(session, customer_id=customer_id),
        conflicts=await _conflicts(session, customer_id),
    )


async def import_customer(
    session: AsyncSession,
    *,
    customer: CustomerData,
    orders: Sequence[OrderData] = (),
    region: str,
) -> CustomerProfile:
    """Create or update the customer ``customer.external_id`` names (source ``api``) with their
    identities and orders. An identity another customer holds is refused (IdentityTaken), an
    invalid one too (InvalidInput); nothing is stored then. Commits."""
    keys = keys_of(customer, source=API_SOURCE, region=region)
    found = await resolve(session, keys, source=API_SOURCE)
    if found.conflicts:
        (channel, _), holder = found.conflicts[0]
        raise IdentityTaken(channel, holder)
    stored = await store_customer(session, customer, source=API_SOURCE, region=region)
    for order in orders:
        await store_order(session, order, source=API_SOURCE)
    await session.commit()
    profile = await customer_profile(session, customer_id=stored.customer_id)
    return replace(profile, created=stored.outcome == "created")


async def stored_orders(session: AsyncSession, *, customer_id: int) -> list[CustomerOrder]:
    stmt = (
        select(CustomerOrder)
        .where(CustomerOrder.customer_id == customer_id)
        .order_by(col(CustomerOrder.placed_at).desc(), col(CustomerOrder.id).desc())
    )
    return list((await session.exec(stmt)).all())


async def latest_order(session: AsyncSession, *, customer_id: int) -> CustomerOrder | None:
    """The customer's most recently placed stored order."""
    stmt = (
        select(CustomerOrder)
        .where(CustomerOrder.customer_id == customer_id)
        .order_by(col(CustomerOrder.placed_at).desc(), col(CustomerOrder.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def stored_cases(session: AsyncSession, *, customer_id: int) -> list[CrmCase]:
    stmt = (
        select(CrmCase)
        .where(CrmCase.customer_id == customer_id)
        .order_by(col(CrmCase.opened_at).desc(), col(CrmCase.id).desc())
    )
    return list((await session.exec(stmt)).all())


async def list_conflicts(session: AsyncSession, *, limit: int = 100) -> list[IdentityConflict]:
    """The identity conflicts syncs and linking reported, newest first, for a person to settle."""
    stmt = (
        select(IdentityConflict)
        .order_by(col(IdentityConflict.detected_at).desc(), col(IdentityConflict.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def _conflicts(session: AsyncSession, customer_id: int) -> list[IdentityConflict]:
    stmt = select(IdentityConflict).where(
        or_(
            col(IdentityConflict.holder_id) == customer_id,
            col(IdentityConflict.claimant_id) == customer_id,
        )
    )
    return list((await session.exec(stmt)).all())
