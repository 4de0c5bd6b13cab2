"""Declaring an incident: validated in full before anything is stored, then the incident and
one notice per affected customer in one commit. Nothing is sent here; the worker queues the
notices into the delivery log (``core.incidents.release``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.config import Settings
from core.errors import InvalidInput
from core.incidents.notices import Offer, insert_once, load_customers, pick_channel, sendable
from core.incidents.segment import Segment, affected_customers, read_csv
from core.models import ChannelIdentity, Customer, Incident, NoticeKind, NoticeStatus, User
from core.models.base import utcnow
from core.platform import auth

SUPERVISING = ("supervisor", "admin")
MAX_MESSAGE = 3500


@dataclass(frozen=True, slots=True)
class IncidentDraft:
    title: str
    messages: Mapping[str, str]
    segment: Segment
    keywords: Sequence[str] = ()
    compensation: Mapping[str, Any] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    csv: str | None = None
    """Customer ids or identities as CSV (``core.incidents.segment.read_csv``), added to the
    segment's list."""
    key: str | None = None
    """An idempotency key: declaring again with it returns the incident first declared."""


@dataclass(slots=True)
class _Plan:
    rows: list[dict[str, Any]] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)


async def declare_incident(
    session: AsyncSession,
    *,
    user: User,
    draft: IncidentDraft,
    settings: Settings,
    now: datetime | None = None,
) -> Incident:
    """Store the incident and its notices. Raises InvalidInput, and stores nothing, for an empty
    segment, unknown customers, or a message missing a language an affected customer reads."""
    auth.require_role(user, SUPERVISING)
    now = now or utcnow()
    earlier = await _declared(session, draft.key)
    if earlier is not None:
        return earlier
    messages, offer = _check(draft, now=now)
    segment = _with_csv(draft, region=settings.default_region)
    plan = await _affected(session, segment, messages, offer, settings=settings, now=now)
    incident = Incident(
        title=draft.title.strip(),
        messages=messages,
        segment=segment.as_json(),
        keywords=_keywords(draft),
        compensation=offer.as_json() if offer else None,
        starts_at=draft.starts_at or now,
        ends_at=draft.ends_at,
        affected=len(plan.rows),
        key=draft.key,
        created_by=user.name,
        created_at=now,
    )
    return await _store(session, incident, plan)


async def _affected(
    session: AsyncSession,
    segment: Segment,
    messages: dict[str, str],
    offer: Offer | None,
    *,
    settings: Settings,
    now: datetime,
) -> _Plan:
    """One notice per affected customer; InvalidInput when there is none, or a language an
    affected, reachable customer reads has no message."""
    if segment.empty:
        raise InvalidInput(
            "the segment is empty: name a region, a promised-delivery range, a product, an "
            "order status, customer ids or identities"
        )
    ids = await affected_customers(session, segment)
    if not ids:
        raise InvalidInput("the segment matches no customer")
    plan = _plan(await load_customers(session, ids), messages, offer, sendable(settings), now)
    missing = sorted(set(plan.languages) - set(messages))
    if missing:
        counts = ", ".join(f"{lang} ({plan.languages[lang]} customers)" for lang in missing)
        raise InvalidInput(f"the message has no text in {counts}")
    return plan


async def _store(session: AsyncSession, incident: Incident, plan: _Plan) -> Incident:
    session.add(incident)
    try:
        await session.flush()
    except IntegrityError:  # the same key declared at the same moment: that one stands
        await session.rollback()
        earlier = await _declared(session, incident.key)
        assert earlier is not None
        return earlier
    assert incident.id is not None
    await insert_once(session, [{**row, "subject_id": incident.id} for row in plan.rows])
    await session.commit()
    return incident


async def _declared(session: AsyncSession, key: str | None) -> Incident | None:
    if not key:
        return None
    return (await session.exec(select(Incident).where(Incident.key == key))).first()


def _check(draft: IncidentDraft, *, now: datetime) -> tuple[dict[str, str], Offer | None]:
    if not draft.title.strip():
        raise InvalidInput("an incident needs a title")
    messages = {lang: text.strip() for lang, text in draft.messages.items() if text.strip()}
    unknown = sorted(set(messages) - set(i18n.LANGUAGES))
    if unknown:
        raise InvalidInput(f"unknown message languages {unknown}; use {list(i18n.LANGUAGES)}")
    if not messages:
        raise InvalidInput("an incident needs a customer-facing message")
    if any(len(text) > MAX_MESSAGE for text in messages.values()):
        raise InvalidInput(f"a message is longer than {MAX_MESSAGE} characters")
    start = draft.starts_at or now
    if draft.ends_at is not None and draft.ends_at <= start:
        raise InvalidInput("ends_at must be after starts_at")
    return messages, Offer.parse(dict(draft.compensation) if draft.compensation else None)


def _with_csv(draft: IncidentDraft, *, region: str) -> Segment:
    if not draft.csv or not draft.csv.strip():
        return draft.segment
    ids, keys = read_csv(draft.csv, region=region)
    segment = draft.segment
    return replace(
        segment, customer_ids=(*segment.customer_ids, *ids), identities=(*segment.identities, *keys)
    )


def _plan(
    customers: Sequence[tuple[Customer, list[ChannelIdentity]]],
    messages: Mapping[str, str],
    offer: Offer | None,
    channels: Sequence[str],
    now: datetime,
) -> _Plan:
    plan, texts = _Plan(), dict[str, str]()
    for customer, identities in customers:
        language = i18n.language_of(customer.language)
        identity = pick_channel(customer, identities, channels)
        status = NoticeStatus.PENDING
        if customer.opted_out:
            status = NoticeStatus.OPTED_OUT
        elif identity is None:
            status = NoticeStatus.UNREACHABLE
        else:
            plan.languages[language] += 1
        if language not in texts and language in messages:
            texts[language] = compose(messages[language], offer, language)
        plan.rows.append(
            {
                "kind": NoticeKind.INCIDENT,
                "customer_id": customer.id,
                "channel": identity.channel if identity else None,
                "external_id": identity.external_id if identity else None,
                "language": language,
                "text": texts.get(language, ""),
                "status": status,
                "compensation_value": offer.amount if offer else 0.0,
                "currency": offer.currency if offer else None,
                "created_at": now,
            }
        )
    return plan


def compose(message: str, offer: Offer | None, language: str) -> str:
    """The incident's message, with the offer line when it offers compensation."""
    if offer is None:
        return message
    return f"{message}\n\n{i18n.text(language, 'notice.offer_line', offer=offer.words(language))}"


def _keywords(draft: IncidentDraft) -> list[str]:
    words = [w.strip().lower() for w in draft.keywords if w.strip()]
    return words or [w.lower() for w in draft.title.split() if len(w) >= 4]
