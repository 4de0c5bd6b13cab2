"""The building blocks of the supervisor reports (``reports``, ``report_log``): the filter,
the person predicate of the partial index ``ix_message_person``, durations in seconds and
percentiles with the same definition on PostgreSQL and SQLite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, cast, exists, func, or_, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Author, Case, CaseEvent, Message
from core.models.message import PERSON_EVENTS

PAID = ("approved", "issued")
DURABLE_DAYS = 7
PERSON: ColumnElement[bool] = or_(
    col(Message.author) == Author.OPERATOR,
    and_(col(Message.author) == Author.SYSTEM, col(Message.event).in_(PERSON_EVENTS)),
)
"""The predicate of the partial index ``ix_message_person``; queries repeat it verbatim."""


@dataclass(frozen=True, slots=True)
class ReportFilter:
    start: datetime | None = None
    end: datetime | None = None
    channel: str | None = None
    topic: str | None = None
    operator: str | None = None

    def joined(self, case_id: Any, when: Any) -> list[ColumnElement[bool]]:
        """Conditions for a table with ``case_id``: joined to Case only when a case filter is
        set (the join is the most expensive part of these aggregates)."""
        if not (self.channel or self.topic or self.operator):
            return [c for c in ReportFilter(self.start, self.end).cases(when)]
        return [case_id == col(Case.id), *self.cases(when)]

    def cases(self, when: Any) -> list[ColumnElement[bool]]:
        """Conditions on Case, with the time window on the column ``when``."""
        out: list[ColumnElement[bool]] = []
        if self.start is not None:
            out.append(when >= self.start)
        if self.end is not None:
            out.append(when < self.end)
        if self.channel:
            out.append(col(Case.origin_channel) == self.channel)
        if self.topic:
            out.append(col(Case.topic) == self.topic)
        if self.operator:
            out.append(col(Case.assigned_operator) == self.operator)
        return out


def seconds_between(dialect: str, end: Any, start: Any) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    # julianday() carries ~50 microseconds of float error: round to the millisecond
    return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)


def percentile(values: list[float], q: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


async def percentiles(
    session: AsyncSession, expr: ColumnElement[float], where: list[Any], qs: tuple[float, ...]
) -> list[float | None]:
    if dialect_of(session) == "postgresql":
        cols = [func.percentile_cont(q).within_group(expr) for q in qs]
        row = (await session.exec(select(*cols).where(*where))).one()  # type: ignore[call-overload]
        return [None if v is None else float(v) for v in row]
    rows = (await session.exec(select(expr).where(*where, expr.is_not(None)))).all()  # type: ignore[call-overload]
    values = [float(r[0]) for r in rows]
    return [percentile(values, q) for q in qs]


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def rate(num: int | float | None, den: int | float | None) -> float | None:
    return None if not den else float(num or 0) / float(den)


def person_involved() -> ColumnElement[bool]:
    """A person worked on the case: an operator message, a person event, or an operator set."""
    touched = exists().where(col(Message.case_id) == col(Case.id), PERSON)
    return or_(touched, col(Case.assigned_operator).is_not(None))


def escalated() -> ColumnElement[bool]:
    return exists().where(
        col(Message.case_id) == col(Case.id),
        PERSON,
        col(Message.author) == Author.SYSTEM,
        col(Message.event) == CaseEvent.ESCALATED,
    )


def first_person_at() -> Any:
    return (
        select(col(Message.case_id), func.min(col(Message.created_at)).label("at"))
        .where(PERSON)
        .group_by(col(Message.case_id))
        .subquery("first_person")
    )
