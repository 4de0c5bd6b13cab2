"""Storing what a source states: customers (found by their keys, ``core.customers.keys``),
their orders and past CRM cases. Each record is an upsert by ``(source, external id)``: a
repeated record changes nothing and counts as unchanged. Nothing here commits; the sync
(``crm_sync``) and the import (``profile``) commit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import insert
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.keys import Key, crm_channel, held_by, keys_of, resolve
from core.errors import InvalidInput
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
    """Create or update the customer ``data`` is; attach its free keys, report the others.
    Raises InvalidInput for an invalid key."""
    (stored,) = await store_customers(session, [data], source=source, region=region)
    if isinstance(stored, InvalidInput):
        raise stored
    return stored


async def store_customers(
    session: AsyncSession, page: Sequence[CustomerData], *, source: str, region: str
) -> list[Stored | InvalidInput]:
    """Store a page of a source's customers, in order: who holds their keys is asked once for
    the page, and the keys they gain are inserted together at its end. A record with an
    invalid key is not stored: its place in the result holds the error."""
    keyed: list[list[Key] | InvalidInput] = []
    for data in page:
        try:
            keyed.append(keys_of(data, source=source, region=region))
        except InvalidInput as exc:
            keyed.append(exc)
    held = await held_by(session, [key for keys in keyed if isinstance(keys, list) for key in keys])
    gained: list[ChannelIdentity] = []
    results: list[Stored | InvalidInput] = []
    for data, keys in zip(page, keyed, strict=True):
        if isinstance(keys, InvalidInput):
            results.append(keys)
            continue
        results.append(await _store(session, data, keys, held, gained, source))
    rows = [identity.model_dump(exclude={"id"}) for identity in gained]
    for start in range(0, len(rows), 500):
        await session.exec(insert(ChannelIdentity).values(rows[start : start + 500]))  # type: ignore[call-overload]
    return results


async def _store(
    session: AsyncSession,
    data: CustomerData,
    keys: list[Key],
    held: dict[Key, int],
    gained: list[ChannelIdentity],
    source: str,
) -> Stored:
    """One customer of a page; ``held`` and ``gained`` learn the keys it attaches."""
    found = await resolve(session, keys, source=source, held=held)
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
    for key in found.attach:
        gained.append(ChannelIdentity(customer_id=customer.id, channel=key[0], external_id=key[1]))
        held[key] = customer.id
        outcome = "updated" if outcome == "unchanged" else outcome
    for (channel, external_id), holder in found.conflicts:
        await _report_conflict(
            session, channel, external_id, holder, customer.id, source, data.external_id
        )
    return Stored(customer.id, outcome, len(found.conflicts))


async def store_order(session: AsyncSession, data: OrderData, *, source: str) -> Outcome:
    return (await store_orders(session, [data], source=source))[0]


async def store_case(session: AsyncSession, data: CaseData, *, source: str) -> Outcome:
    return (await store_cases(session, [data], source=source))[0]


async def store_orders(
    session: AsyncSession, orders: Sequence[OrderData], *, source: str
) -> list[Outcome]:
    """Upsert a page of orders: one query for their customers, one for the stored orders and
    one flush, whatever the page's size. The outcome of each, in order."""
    owners = await customers_for(session, source=source, refs=[o.customer_ref for o in orders])
    rows = [(o.external_id, _order_values(o, owners[o.customer_ref])) for o in orders]
    return await _upsert_many(session, CustomerOrder, source, rows)


async def store_cases(
    session: AsyncSession, cases: Sequence[CaseData], *, source: str
) -> list[Outcome]:
    """Upsert a page of past CRM cases, as :func:`store_orders` does orders."""
    owners = await customers_for(session, source=source, refs=[c.customer_ref for c in cases])
    rows = [(c.external_id, _case_values(c, owners[c.customer_ref])) for c in cases]
    return await _upsert_many(session, CrmCase, source, rows)


def _order_values(data: OrderData, customer_id: int) -> dict[str, Any]:
    items = [dict(i) for i in data.items]
    total = data.total if data.total is not None else _items_total(items)
    return {
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


def _case_values(data: CaseData, customer_id: int) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "subject": data.subject[:300],
        "status": data.status[:64],
        "outcome": data.outcome[:1000] if data.outcome else None,
        "messages": [dict(m) for m in data.messages],
        "opened_at": data.opened_at,
        "closed_at": data.closed_at,
        "source_updated_at": data.updated_at,
    }


async def customers_for(
    session: AsyncSession, *, source: str, refs: Sequence[str]
) -> dict[str, int]:
    """The customer a source knows by each of ``refs``; a ref that names one not synced yet gets
    a customer with only that id (its own record fills it in when it comes)."""
    channel = crm_channel(source)
    wanted = sorted(set(refs))
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        stmt = select(ChannelIdentity.external_id, ChannelIdentity.customer_id).where(
            ChannelIdentity.channel == channel,
            col(ChannelIdentity.external_id).in_(chunk),
        )
        found.update((ref, customer_id) for ref, customer_id in (await session.exec(stmt)).all())
    for ref in wanted:
        if ref not in found:
            customer = Customer(updated_at=utcnow())
            session.add(customer)
            await session.flush()
            assert customer.id is not None
            session.add(ChannelIdentity(customer_id=customer.id, channel=channel, external_id=ref))
            found[ref] = customer.id
    await session.flush()
    return found


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


async def _upsert_many(
    session: AsyncSession,
    model: type[CustomerOrder] | type[CrmCase],
    source: str,
    rows: Sequence[tuple[str, dict[str, Any]]],
) -> list[Outcome]:
    """Upsert ``rows`` (external id, values) of ``model`` by ``(source, external id)``."""
    stored: dict[str, CustomerOrder | CrmCase] = {}
    for chunk in _chunks(sorted({external_id for external_id, _ in rows})):
        stmt = select(model).where(model.source == source, col(model.external_id).in_(chunk))
        found = cast("list[CustomerOrder | CrmCase]", (await session.exec(stmt)).all())
        stored.update((row.external_id, row) for row in found)
    outcomes: list[Outcome] = []
    new: dict[str, CustomerOrder | CrmCase] = {}
    now = utcnow()
    for external_id, values in rows:
        row = stored.get(external_id)
        if row is None and external_id not in new:
            new[external_id] = model(source=source, external_id=external_id, **values)
            outcomes.append("created")
        elif row is None:
            outcomes.append("updated" if _apply(new[external_id], values) else "unchanged")
        elif _apply(row, values):
            row.synced_at = now
            session.add(row)
            outcomes.append("updated")
        else:
            outcomes.append("unchanged")
    await session.flush()
    fresh = [row.model_dump(exclude={"id"}) for row in new.values()]
    for start in range(0, len(fresh), 500):  # one INSERT of many rows, no RETURNING
        await session.exec(insert(model).values(fresh[start : start + 500]))  # type: ignore[call-overload]
    return outcomes


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
