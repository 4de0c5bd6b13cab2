"""The parts every proactive notice shares: the channel it goes on, the offer line in the
customer's language, and storing notices once (a second insert of the same subject and
customer is ignored, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.config import Settings
from core.errors import InvalidInput
from core.models import ChannelIdentity, Customer, Notice, NoticeKind, NoticeStatus
from core.platform.records import insert_new

NOTICE_CHANNELS = ("telegram", "email")
"""Channels a notice may go on (the web chat's visitors are anonymous and come and go)."""
CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Offer:
    """Compensation every recipient of a notice gets without asking."""

    type: str
    amount: float = 0.0
    currency: str | None = None

    @classmethod
    def parse(cls, data: dict[str, Any] | None) -> Offer | None:
        if not data:
            return None
        offer = cls(str(data.get("type", "")), float(data.get("amount") or 0), data.get("currency"))
        if not i18n.has(f"offer.{offer.type}"):
            raise InvalidInput(f"compensation type {offer.type!r} is not one the notices know")
        if offer.amount < 0 or (
            offer.amount and not offer.currency and offer.type != "loyalty_points"
        ):
            raise InvalidInput("compensation needs a non-negative amount and its currency")
        return offer

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "amount": self.amount, "currency": self.currency}

    def words(self, language: str) -> str:
        amount = (
            i18n.money(self.amount, self.currency, language)
            if self.currency
            else i18n.number(self.amount, language)
        )
        return i18n.text(language, f"offer.{self.type}", amount=amount)


def sendable(settings: Settings) -> tuple[str, ...]:
    return tuple(c for c in settings.queued_channels if c in NOTICE_CHANNELS)


def pick_channel(
    customer: Customer, identities: Sequence[ChannelIdentity], channels: Sequence[str]
) -> ChannelIdentity | None:
    """The customer's preferred channel when it can send, else the first of ``channels``."""
    held = {i.channel: i for i in identities}
    preferred = customer.preferences.get("channel") if customer.preferences else None
    for channel in (preferred, *channels):
        if channel in channels and channel in held:
            return held[channel]
    return None


async def load_customers(
    session: AsyncSession, ids: Sequence[int]
) -> list[tuple[Customer, list[ChannelIdentity]]]:
    """Each customer with their identities, a thousand at a time."""
    found: list[tuple[Customer, list[ChannelIdentity]]] = []
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        customers = (await session.exec(select(Customer).where(col(Customer.id).in_(chunk)))).all()
        rows = await session.exec(
            select(ChannelIdentity).where(col(ChannelIdentity.customer_id).in_(chunk))
        )
        by_customer: dict[int, list[ChannelIdentity]] = {}
        for identity in rows.all():
            by_customer.setdefault(identity.customer_id, []).append(identity)
        found += [(c, by_customer.get(c.id or 0, [])) for c in customers]
    return found


def notice_row(
    kind: NoticeKind,
    subject_id: int | None,
    customer: Customer,
    identity: ChannelIdentity | None,
    *,
    language: str,
    text: str,
    now: datetime,
    offer: Offer | None = None,
) -> dict[str, Any]:
    """One customer's notice as ``insert_once`` stores it: opted out, unreachable (no channel
    to send on) or pending, with what it offers."""
    status = NoticeStatus.PENDING
    if customer.opted_out:
        status = NoticeStatus.OPTED_OUT
    elif identity is None:
        status = NoticeStatus.UNREACHABLE
    return {
        "kind": kind,
        "subject_id": subject_id,
        "customer_id": customer.id,
        "channel": identity.channel if identity else None,
        "external_id": identity.external_id if identity else None,
        "language": language,
        "text": text,
        "status": status,
        "compensation_value": offer.amount if offer else 0.0,
        "currency": offer.currency if offer else None,
        "created_at": now,
    }


async def insert_once(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert notices, skipping any whose (kind, subject, customer) is already stored."""
    for start in range(0, len(rows), CHUNK):
        await insert_new(session, Notice, rows[start : start + CHUNK])
