"""The cases behind a dashboard figure (docs/metrics.md, "Drill-down"): the same window,
filters and definitions as the figure, so a list holds exactly as many cases as it counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import not_, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import InvalidInput
from core.models import Case
from core.reports.query import ReportFilter, escalated, person_involved
from core.reports.reasons import UNASSIGNED, latest_csat

OPENED = ("opened", "escalations", "low_csat")
RESOLVED = ("resolved", "contained", "reopened")
FIGURES = OPENED + RESOLVED
"""opened, escalations: ``cases_opened`` and ``escalations`` of the summary (and of a reason);
low_csat: a reason's ``low_csat``; resolved, contained, reopened: ``cases_resolved``,
``bot_contained`` and the reopened cases of ``reopen_rate``."""


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_id: int
    customer_id: int
    channel: str
    topic: str | None
    status: str
    operator: str | None
    opened_at: datetime
    resolved_at: datetime | None
    escalated: bool
    reopen_count: int
    csat: int | None


async def cases_behind(
    session: AsyncSession,
    *,
    figure: str,
    filters: ReportFilter,
    low_csat: int,
    reason: str | None = None,
    limit: int = 1000,
) -> list[CaseRow]:
    """The cases a figure counts, oldest first; with ``reason`` (a contact reason or
    ``unassigned``) those of the reason's row in the contact-reasons report."""
    if figure not in FIGURES:
        raise InvalidInput(f"figure must be one of {', '.join(FIGURES)}")
    when = col(Case.opened_at) if figure in OPENED else col(Case.resolved_at)
    where: list[Any] = [when.is_not(None), *filters.cases(when), *_figure(figure)]
    if reason is not None:
        where += _reason(reason)
    stmt = (
        select(Case, escalated().label("escalated"))
        .where(*where)
        .order_by(when, col(Case.id))
        .limit(limit if figure != "low_csat" else None)
    )
    found = [(c, bool(esc)) for c, esc in (await session.exec(stmt)).all()]  # type: ignore[call-overload]
    scores = await latest_csat(session, [c.id or 0 for c, _ in found])
    if figure == "low_csat":
        found = [(c, e) for c, e in found if scores.get(c.id or 0, low_csat + 1) <= low_csat]
    return [_row(c, esc, scores.get(c.id or 0)) for c, esc in found[:limit]]


def _figure(figure: str) -> list[Any]:
    if figure == "escalations":
        return [escalated()]
    if figure == "contained":
        return [not_(person_involved())]
    if figure == "reopened":
        return [col(Case.reopen_count) > 0]
    return []


def _reason(reason: str) -> list[Any]:
    """As the contact-reasons report: recovery cases are no contact reason."""
    if reason == UNASSIGNED:
        return [or_(col(Case.topic).is_(None), col(Case.topic) == "")]
    return [col(Case.topic) == reason, not_(col(Case.topic).startswith("recovery"))]


def _row(c: Case, esc: bool, csat: int | None) -> CaseRow:
    return CaseRow(
        case_id=c.id or 0,
        customer_id=c.customer_id,
        channel=c.origin_channel,
        topic=c.topic,
        status=str(c.status),
        operator=c.assigned_operator,
        opened_at=c.opened_at,
        resolved_at=c.resolved_at,
        escalated=esc,
        reopen_count=c.reopen_count,
        csat=csat,
    )
