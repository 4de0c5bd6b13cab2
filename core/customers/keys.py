"""The identity keys a customer is found by, and finding one customer from many keys.

A key is ``(channel, external_id)`` as stored in ``channel_identity``: ``("phone", E.164)``,
``("email", lower-cased)``, ``("telegram", user id)`` and ``("crm:<source>", the CRM's id)``.
Phones are compared in E.164 whatever their spacing; a national format is read in the
configured default region (``core.privacy.normalize_phone``).

:func:`resolve` finds the one customer a source's record is: the holder of its CRM id, else the
one customer holding its other keys. Keys held by someone else are conflicts, reported and
never merged; a customer already known to the same source under another id is someone else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import InvalidInput
from core.models import ChannelIdentity
from core.ports import CustomerData
from core.privacy import normalize_phone

PHONE, EMAIL, TELEGRAM = "phone", "email", "telegram"
CRM_PREFIX = "crm:"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Key = tuple[str, str]


def crm_channel(source: str) -> str:
    return CRM_PREFIX + source


def phone_key(value: str, *, region: str) -> Key:
    e164 = normalize_phone(value.strip(), region)
    if e164 is None:
        raise InvalidInput(f"phone {value!r} is not a valid number (default region {region})")
    return (PHONE, e164)


def email_key(value: str) -> Key:
    value = value.strip()
    if not _EMAIL.fullmatch(value):
        raise InvalidInput(f"email {value!r} is not an address")
    return (EMAIL, value.lower())


def keys_of(data: CustomerData, *, source: str, region: str) -> list[Key]:
    """Every key of a source's record, its CRM id first. Raises InvalidInput for a bad one."""
    keys = [(crm_channel(source), data.external_id)] if data.external_id else []
    keys += [phone_key(p, region=region) for p in data.phones if p.strip()]
    keys += [email_key(e) for e in data.emails if e.strip()]
    keys += [(TELEGRAM, t.strip()) for t in data.telegram_ids if t.strip()]
    return list(dict.fromkeys(keys))


@dataclass(slots=True)
class Resolution:
    customer_id: int | None
    """The customer the record is; None: a new one."""
    attach: list[Key] = field(default_factory=list)
    """Keys nobody holds yet: they join the customer."""
    conflicts: list[tuple[Key, int]] = field(default_factory=list)
    """Keys another customer holds, with that customer's id."""


async def held_by(session: AsyncSession, keys: Sequence[Key]) -> dict[Key, int]:
    """Who holds each of ``keys`` (a query per channel and 500 keys)."""
    by_channel: dict[str, set[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, set()).add(external_id)
    held: dict[Key, int] = {}
    for channel, wanted in sorted(by_channel.items()):
        ids = sorted(wanted)
        for start in range(0, len(ids), 500):
            stmt = select(ChannelIdentity.external_id, ChannelIdentity.customer_id).where(
                ChannelIdentity.channel == channel,
                col(ChannelIdentity.external_id).in_(ids[start : start + 500]),
            )
            held.update(((channel, e), c) for e, c in (await session.exec(stmt)).all())
    return held


async def resolve(
    session: AsyncSession,
    keys: Sequence[Key],
    *,
    source: str,
    held: Mapping[Key, int] | None = None,
) -> Resolution:
    """The customer ``keys`` (a source's record, its CRM id first) belong to; see the module.
    ``held``: who holds which key, when the caller knows it (a page of records) and has the
    keys it attached since recorded there; otherwise it is asked."""
    if held is None:
        held = await held_by(session, keys)
    crm = crm_channel(source)
    owner = next((held[k] for k in keys if k[0] == crm and k in held), None)
    if owner is None:
        others = {held[k] for k in keys if k in held}
        known = {customer for key, customer in held.items() if key[0] == crm}
        taken = (others & known) | await _known_to(session, others - known, channel=crm)
        candidates = sorted(others - taken)
        owner = candidates[0] if len(candidates) == 1 else None
    result = Resolution(owner)
    for key in keys:
        holder = held.get(key)
        if holder is None:
            result.attach.append(key)
        elif holder != owner:
            result.conflicts.append((key, holder))
    return result


async def _known_to(
    session: AsyncSession, customer_ids: Iterable[int], *, channel: str
) -> set[int]:
    """Which of ``customer_ids`` a source already knows under an id of its own."""
    ids = sorted(set(customer_ids))
    if not ids:
        return set()
    stmt = select(ChannelIdentity.customer_id).where(
        ChannelIdentity.channel == channel,
        ChannelIdentity.customer_id.in_(ids),  # type: ignore[attr-defined]
    )
    return set((await session.exec(stmt)).all())
