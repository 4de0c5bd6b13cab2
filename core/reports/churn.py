"""Churn risk: customers ranked by warning signals in the last ``days`` (docs/metrics.md).

Signals and weights: a low score (CSAT <= low_csat, CES <= low_ces or NPS <= 6) 3 each; a
broken promise (due in the window) or a still-open overdue one (any age) 3 each; a repeat
contact (a case on the same topic within 14 days of the customer's previous one) 2 each; a
reopen 2 each. Any signal flags the customer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, func, literal, or_, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from core.config import Settings
from core.models import Case, Customer, Promise, Pulse
from core.models.base import utcnow

Counted = Select[Any, int, int]
"""A counted signal: (its name, customer id, count) per customer."""
WINDOW_DAYS = 90
REPEAT_WITHIN = timedelta(days=14)
WEIGHTS = {"low_scores": 3, "broken_promises": 3, "repeat_contacts": 2, "reopens": 2}
BANDS = ("high", "medium", "low", "none")
HIGH_FROM = 9
"""Three strong signals (low scores, broken promises), or more."""
MEDIUM_FROM = 5


@dataclass(slots=True)
class ChurnEntry:
    customer_id: int
    name: str | None = None
    score: int = 0
    signals: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)


async def churn_ranking(
    session: AsyncSession,
    *,
    settings: Settings | None = None,
    now: datetime | None = None,
    days: int = WINDOW_DAYS,
    limit: int = 100,
    customer_id: int | None = None,
) -> list[ChurnEntry]:
    """Customers with at least one signal, highest score first (ties: lower id first)."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    low_csat = settings.pulse_low_csat if settings else 2
    low_ces = settings.pulse_low_ces if settings else 3
    signals: dict[int, dict[str, int]] = defaultdict(dict)
    counted = union_all(
        _low_scores(since, low_csat, low_ces, customer_id),
        _broken_promises(since, now, customer_id),
        _reopens(since, customer_id),
    )
    for name, cid, n in (await session.exec(counted)).all():  # type: ignore[call-overload]
        if n:
            signals[int(cid)][str(name)] = int(n)
    for cid, n in (await _repeat_contacts(session, since, customer_id)).items():
        if n:
            signals[cid]["repeat_contacts"] = n
    entries = [_entry(cid, s, low_csat, low_ces) for cid, s in signals.items()]
    entries.sort(key=lambda e: (-e.score, e.customer_id))
    entries = entries[:limit]
    names = await _names(session, [e.customer_id for e in entries])
    for entry in entries:
        entry.name = names.get(entry.customer_id)
    return entries


async def customer_churn(
    session: AsyncSession,
    *,
    customer_id: int,
    settings: Settings | None = None,
    now: datetime | None = None,
) -> ChurnEntry:
    found = await churn_ranking(
        session, settings=settings, now=now, customer_id=customer_id, limit=1
    )
    return found[0] if found else ChurnEntry(customer_id=customer_id)


def band(score: int) -> str:
    """The churn-risk band of a score: ``high`` from 9, ``medium`` 5-8, ``low`` 1-4, ``none``
    without a signal."""
    if score >= HIGH_FROM:
        return "high"
    if score >= MEDIUM_FROM:
        return "medium"
    return "low" if score > 0 else "none"


def _entry(customer_id: int, signals: dict[str, int], low_csat: int, low_ces: int) -> ChurnEntry:
    texts = {
        "low_scores": f"{{n}} low score(s) (CSAT <= {low_csat}, CES <= {low_ces} or NPS <= 6)",
        "broken_promises": "{n} broken or overdue promise(s)",
        "repeat_contacts": "{n} repeat contact(s) on the same topic within 14 days",
        "reopens": "{n} reopened case(s)",
    }
    score = sum(WEIGHTS[k] * n for k, n in signals.items())
    reasons = [texts[k].format(n=signals[k]) for k in WEIGHTS if k in signals]
    return ChurnEntry(customer_id, score=score, signals=dict(signals), reasons=reasons)


def _only(column: Any, customer_id: int | None) -> list[Any]:
    return [] if customer_id is None else [column == customer_id]


def _low_scores(since: datetime, low_csat: int, low_ces: int, customer_id: int | None) -> Counted:
    low = or_(col(Pulse.csat) <= low_csat, col(Pulse.ces) <= low_ces, col(Pulse.nps) <= 6)
    return (
        select(_signal("low_scores"), col(Pulse.customer_id), func.count())
        .where(low, col(Pulse.answered_at) >= since, *_only(col(Pulse.customer_id), customer_id))
        .group_by(col(Pulse.customer_id))
    )


def _broken_promises(since: datetime, now: datetime, customer_id: int | None) -> Counted:
    bad = or_(
        and_(col(Promise.status) == "broken", col(Promise.due_at) >= since),
        and_(col(Promise.status) == "open", col(Promise.due_at) < now),
    )
    return (
        select(_signal("broken_promises"), col(Promise.customer_id), func.count())
        .where(bad, *_only(col(Promise.customer_id), customer_id))
        .group_by(col(Promise.customer_id))
    )


def _reopens(since: datetime, customer_id: int | None) -> Counted:
    return (
        select(_signal("reopens"), col(Case.customer_id), func.sum(col(Case.reopen_count)))
        .where(
            col(Case.reopen_count) > 0,
            col(Case.opened_at) >= since,
            *_only(col(Case.customer_id), customer_id),
        )
        .group_by(col(Case.customer_id))
    )


def _signal(name: str) -> Any:
    """The signal's name as the first column: the counted signals are read in one query."""
    return literal(name, String).label("signal")


async def _repeat_contacts(
    session: AsyncSession, since: datetime, customer_id: int | None
) -> dict[int, int]:
    stmt = (
        select(col(Case.customer_id), col(Case.topic), col(Case.opened_at))
        .where(
            col(Case.topic).is_not(None),
            col(Case.opened_at) >= since - REPEAT_WITHIN,
            *_only(col(Case.customer_id), customer_id),
        )
        .order_by(col(Case.customer_id), col(Case.topic), col(Case.opened_at))
    )
    counts: dict[int, int] = defaultdict(int)
    previous: tuple[int, str | None, datetime] | None = None
    for cid, topic, opened in (await session.exec(stmt)).all():  # type: ignore[call-overload]
        repeat = previous and previous[:2] == (cid, topic) and opened - previous[2] <= REPEAT_WITHIN
        if repeat and opened >= since:
            counts[cid] += 1
        previous = (cid, topic, opened)
    return dict(counts)


async def _names(session: AsyncSession, ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    stmt = select(col(Customer.id), col(Customer.name)).where(col(Customer.id).in_(ids))
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {cid: name for cid, name in rows if cid is not None}
