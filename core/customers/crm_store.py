"""Storing what a source states: customers (found by their keys, ``core.customers.keys``),
their orders and past CRM cases. Each record is an upsert by ``(source, external id)``: a
repeated record changes nothing and counts as unchanged. Nothing here commits; the sync
(``crm_sync``) and the import (``profile``) commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.keys import crm_channel, keys_of, resolve
from core.models import ChannelIdentity, CrmCase, Customer, CustomerOrder, IdentityConflict
from core.models.base import utcnow
from core.ports import CaseData, CustomerData, OrderData

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class Stored:
    customer_id: int
    outcome: Outcome
    conflicts: int = 0


async def store_customer(
    session: AsyncSession, data: CustomerData, *, source: str, region: str
) -> Stored:
    """Create or update the customer ``data`` is; attach its free keys, report the others."""
    keys = keys_of(data, source=source, region=region)
    found = await resolve(session, keys, source=source)
    customer = (
        Customer() if found.customer_id is None else await session.get(Customer, found.customer_id)
    )
    assert customer is not None
    changed = _apply(customer, _customer_values(data))
    outcome: Outcome = (
        "created" if found.customer_id is None else "updated" if changed else "unchanged"
    )
    if changed or found.customer_id is None:
        customer.updated_at = utcnow()
        session.add(customer)
        await session.flush()
    assert customer.id is not None
    for channel, external_id in found.attach:
        session.add(
            ChannelIdentity(customer_id=customer.id, channel=channel, external_id=external_id)
        )
        outcome = "updated" if outcome == "unchanged" else outcome
    for (channel, external_id), holder in found.conflicts:
        await _report_conflict(
            session, channel, external_id, holder, customer.id, source, data.external_id
        )
    await session.flush()
    return Stored(customer.id, outcome, len(found.conflicts))


async def store_order(session: AsyncSession, data: OrderData, *, source: str) -> Outcome:
    customer_id = await customer_for(session, source=source, ref=data.customer_ref)
    items = [dict(i) for i in data.items]
    total = data.total if data.total is not None else _items_total(items)
    values = {
        "customer_id": customer_id,
        "number": data.number[:64],
        "status": data.status[:64],
        "items": items,
        "total": total,
        "currency": data.currency.upper()[:3] if data.currency else None,
        "placed_at": data.placed_at,
        "promised_at": data.promised_at,
        "delivered_at": data.delivered_at,
        "delivery_region": data.delivery_region[:100] if data.delivery_region else None,
        "source_updated_at": data.updated_at,
    }
    return await _upsert(session, CustomerOrder, source, data.external_id, values)


async def store_case(session: AsyncSession, data: CaseData, *, source: str) -> Outcome:
    customer_id = await customer_for(session, source=source, ref=data.customer_ref)
    values = {
        "customer_id": customer_id,
        "subject": data.subject[:300],
        "status": data.status[:64],
        "outcome": data.outcome[:1000] if data.outcome else None,
        "messages": [dict(m) for m in data.messages],
        "opened_at": data.opened_at,
        "closed_at": data.closed_at,
        "source_updated_at": data.updated_at,
    }
    return await _upsert(session, CrmCase, source, data.external_id, values)


async def customer_for(session: AsyncSession, *, source: str, ref: str) -> int:
    """The customer a source knows as ``ref``; a record that names one not synced yet gets a
    customer with only that id (its own record fills it in when it comes)."""
    channel = crm_channel(source)
    stmt = select(ChannelIdentity.customer_id).where(
        ChannelIdentity.channel == channel, ChannelIdentity.external_id == ref
    )
    found = (await session.exec(stmt)).first()
    if found is not None:
        return found
    customer = Customer(updated_at=utcnow())
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    session.add(ChannelIdentity(customer_id=customer.id, channel=channel, external_id=ref))
    await session.flush()
    return customer.id


def _customer_values(data: CustomerData) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": data.name[:200] if data.name else None,
        "language": data.language[:8] if data.language else None,
        "tier": data.tier[:32] if data.tier else None,
        "lifetime_value": data.lifetime_value,
        "marketing_consent": data.marketing_consent,
        "opted_out": data.opted_out,
        "preferences": dict(data.preferences) or None,
    }
    return {k: v for k, v in values.items() if v is not None}


def _apply(row: SQLModel, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


async def _upsert(
    session: AsyncSession,
    model: type[CustomerOrder] | type[CrmCase],
    source: str,
    external_id: str,
    values: dict[str, Any],
) -> Outcome:
    stmt = select(model).where(model.source == source, model.external_id == external_id)
    row = (await session.exec(stmt)).first()
    if row is None:
        session.add(model(source=source, external_id=external_id, **values))
        await session.flush()
        return "created"
    if not _apply(row, values):
        return "unchanged"
    row.synced_at = utcnow()
    session.add(row)
    await session.flush()
    return "updated"


def _items_total(items: list[dict[str, Any]]) -> float:
    return round(sum(float(i.get("price", 0)) * float(i.get("quantity", 1)) for i in items), 2)


async def _report_conflict(
    session: AsyncSession,
    channel: str,
    external_id: str,
    holder: int,
    claimant: int,
    source: str,
    record_id: str,
) -> None:
    stmt = select(IdentityConflict).where(
        IdentityConflict.channel == channel,
        IdentityConflict.external_id == external_id,
        IdentityConflict.source == source,
        IdentityConflict.record_id == record_id,
    )
    if (await session.exec(stmt)).first() is None:
        session.add(
            IdentityConflict(
                channel=channel,
                external_id=external_id,
                holder_id=holder,
                claimant_id=claimant,
                source=source,
                record_id=record_id,
            )
        )
