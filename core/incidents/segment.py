"""Who an incident affects: customers with orders matching every stated order criterion
(region, promised-delivery range, product, status), plus customers named in a list (ids or
identities, e.g. from a CSV). Runs the same on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.keys import EMAIL, PHONE, email_key, phone_key
from core.errors import InvalidInput
from core.models import ChannelIdentity, Customer, CustomerOrder

MAX_LISTED = 10
"""How many unknown entries an error names."""


@dataclass(frozen=True, slots=True)
class Segment:
    region: str | None = None
    promised_from: datetime | None = None
    promised_to: datetime | None = None
    product: str | None = None
    """An item's SKU or name (case-insensitive) in the order."""
    order_status: str | None = None
    customer_ids: tuple[int, ...] = ()
    identities: tuple[tuple[str, str], ...] = ()
    """``(channel, external id)``: ``("phone", "+7…")``, ``("email", …)``, ``("telegram", …)``."""

    @property
    def by_orders(self) -> bool:
        criteria = (self.region, self.promised_from, self.promised_to, self.product)
        return any(c is not None for c in (*criteria, self.order_status))

    @property
    def empty(self) -> bool:
        return not (self.by_orders or self.customer_ids or self.identities)

    def as_json(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "promised_from": self.promised_from.isoformat() if self.promised_from else None,
            "promised_to": self.promised_to.isoformat() if self.promised_to else None,
            "product": self.product,
            "order_status": self.order_status,
            "customer_ids": list(self.customer_ids),
            "identities": [list(i) for i in self.identities],
        }


def read_csv(text: str, *, region: str) -> tuple[tuple[int, ...], tuple[tuple[str, str], ...]]:
    """Customer ids and identities from a CSV with a header: ``customer_id``, or ``channel``
    and ``external_id``, or ``phone`` / ``email`` / ``telegram`` columns."""
    reader = csv.DictReader(io.StringIO(text.strip()))
    columns = {c.strip().lower() for c in reader.fieldnames or ()}
    known = {"customer_id", "channel", "external_id", PHONE, EMAIL, "telegram"}
    if not columns & known:
        raise InvalidInput(f"the CSV needs a header with any of {sorted(known)}")
    ids: list[int] = []
    keys: list[tuple[str, str]] = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
        if row.get("customer_id"):
            if not row["customer_id"].isdigit():
                raise InvalidInput(f"CSV line {line}: customer_id {row['customer_id']!r}")
            ids.append(int(row["customer_id"]))
        if row.get("channel") and row.get("external_id"):
            keys.append(_key(row["channel"], row["external_id"], region=region, line=line))
        for channel in (PHONE, EMAIL, "telegram"):
            if row.get(channel):
                keys.append(_key(channel, row[channel], region=region, line=line))
    return tuple(ids), tuple(keys)


def _key(channel: str, value: str, *, region: str, line: int) -> tuple[str, str]:
    try:
        if channel == PHONE:
            return phone_key(value, region=region)
        if channel == EMAIL:
            return email_key(value)
    except InvalidInput as exc:
        raise InvalidInput(f"CSV line {line}: {exc}") from None
    return (channel.lower(), value)


async def affected_customers(session: AsyncSession, segment: Segment) -> list[int]:
    """The ids of the customers the segment names, ascending. Raises InvalidInput naming
    customer ids or identities nobody holds."""
    found: set[int] = set()
    if segment.by_orders:
        found |= await _by_orders(session, segment)
    if segment.customer_ids:
        found |= await _known_ids(session, segment.customer_ids)
    if segment.identities:
        found |= await _by_identities(session, segment.identities)
    return sorted(found)


async def _by_orders(session: AsyncSession, segment: Segment) -> set[int]:
    conditions = []
    if segment.region is not None:
        region = func.lower(col(CustomerOrder.delivery_region))
        conditions.append(region == segment.region.strip().lower())
    if segment.promised_from is not None:
        conditions.append(col(CustomerOrder.promised_at) >= segment.promised_from)
    if segment.promised_to is not None:
        conditions.append(col(CustomerOrder.promised_at) <= segment.promised_to)
    if segment.order_status is not None:
        status = func.lower(col(CustomerOrder.status))
        conditions.append(status == segment.order_status.strip().lower())
    columns = (col(CustomerOrder.customer_id), col(CustomerOrder.items))
    rows = await session.exec(select(*columns).where(and_(True, *conditions)))  # type: ignore[call-overload]
    product = segment.product.strip().lower() if segment.product else None
    return {cid for cid, items in rows.all() if product is None or _has(items, product)}


def _has(items: Sequence[dict[str, Any]], product: str) -> bool:
    return any(
        product in (str(item.get("sku") or "").lower(), str(item.get("name") or "").lower())
        for item in items
    )


async def _known_ids(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    known: set[int] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows = await session.exec(select(Customer.id).where(col(Customer.id).in_(chunk)))
        known |= {i for i in rows.all() if i is not None}
    unknown = [i for i in dict.fromkeys(ids) if i not in known]
    if unknown:
        raise InvalidInput(f"unknown customers: {_listed(unknown)}")
    return known


async def _by_identities(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> set[int]:
    held: dict[tuple[str, str], int] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        pair = tuple_(col(ChannelIdentity.channel), col(ChannelIdentity.external_id))
        stmt = select(
            ChannelIdentity.channel, ChannelIdentity.external_id, ChannelIdentity.customer_id
        ).where(or_(pair.in_(chunk)))
        held |= {(ch, ext): cid for ch, ext, cid in (await session.exec(stmt)).all()}
    unknown = [f"{ch}:{ext}" for ch, ext in dict.fromkeys(keys) if (ch, ext) not in held]
    if unknown:
        raise InvalidInput(f"unknown customers: {_listed(unknown)}")
    return set(held.values())


def _listed(values: Sequence[object]) -> str:
    shown = ", ".join(str(v) for v in values[:MAX_LISTED])
    more = len(values) - MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown
