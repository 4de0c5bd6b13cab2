"""The personal values the system knows about customers: their names, identities (phones,
e-mails, Telegram ids, store cards, CRM ids), order numbers (their record's and their stored
orders') and addresses from their record, and the promo codes issued to them. What
``core.privacy.mask`` is given as ``known`` when one customer's text is shown beside another
customer's case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ChannelIdentity, Compensation, Customer, CustomerOrder

_ATTRIBUTES = ("order", "phone", "email", "address", "addresses", "promo_code")
_ORDER_LISTS = ("orders", "last_order")
MIN_VALUE = 3
"""Shorter values ("Li", "12") are no evidence of anyone and are not kept."""


@dataclass(frozen=True, slots=True)
class PersonalValues:
    customer_id: int
    values: frozenset[str]

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.casefold() in {v.casefold() for v in self.values}


async def personal_values(
    session: AsyncSession, customer_ids: Collection[int]
) -> dict[int, PersonalValues]:
    """Each customer's known personal values (four queries for any number of customers)."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    customers = await session.exec(select(Customer).where(col(Customer.id).in_(ids)))
    for customer in customers.all():
        assert customer.id is not None
        found[customer.id] |= _of_customer(customer)
    identities = await session.exec(
        select(ChannelIdentity).where(col(ChannelIdentity.customer_id).in_(ids))
    )
    for identity in identities.all():
        found[identity.customer_id] |= _names(identity.external_id, identity.display_name)
    orders = await session.exec(
        select(CustomerOrder.customer_id, CustomerOrder.number).where(
            col(CustomerOrder.customer_id).in_(ids)
        )
    )
    for customer_id, number in orders.all():
        found[customer_id].add(number)
    compensations = await session.exec(
        select(Compensation).where(col(Compensation.customer_id).in_(ids))
    )
    for comp in compensations.all():
        found[comp.customer_id] |= {str(i["code"]) for i in comp.items if i.get("code")}
    return {
        cid: PersonalValues(cid, frozenset(v for v in found[cid] if len(v) >= MIN_VALUE))
        for cid in ids
    }


def _of_customer(customer: Customer) -> set[str]:
    values = _names(customer.name)
    attrs = customer.attributes or {}
    for key in _ATTRIBUTES:
        values |= set(_strings(attrs.get(key)))
    for key in _ORDER_LISTS:
        orders = attrs.get(key)
        for order in orders if isinstance(orders, list) else [orders]:
            if isinstance(order, dict):
                values |= set(_strings([order.get("id"), order.get("address")]))
    return values


def _names(*names: str | None) -> set[str]:
    """Each name whole and each of its words ("Ольга Петренко", "Ольга", "Петренко")."""
    out: set[str] = set()
    for name in names:
        if name and name.strip():
            out.add(name.strip())
            out.update(name.split())
    return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        yield str(value).strip()
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
