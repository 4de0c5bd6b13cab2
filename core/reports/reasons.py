"""Contact reasons in a window (docs/metrics.md): per reason (``Case.topic``), how many cases were
opened, how many were escalated to a person, how many got a low CSAT, and how many were repeat
contacts. Recovery cases are follow-ups of an answer, not contacts, and are left out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, Pulse
from core.reports.query import ReportFilter, escalated, rate

UNASSIGNED = "unassigned"
ORDERS = ("cases", "escalation_rate", "low_csat_rate", "repeat_rate")


@dataclass(frozen=True, slots=True)
class _Row:
    id: int
    customer_id: int
    reason: str
    opened_at: datetime
    reopened: bool
    escalated: bool


async def top_reasons(
    session: AsyncSession,
    *,
    filters: ReportFilter,
    low_csat: int,
    repeat_days: int,
    order: str = "cases",
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Reasons ranked by ``order`` (one of ORDERS), highest first."""
    rows = await _cases(session, filters)
    scores = await latest_csat(session, [r.id for r in rows])
    repeats = await _repeats(session, rows, days=repeat_days)
    groups: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        groups[row.reason].append(row)
    out: list[dict[str, Any]] = []
    for reason, members in groups.items():
        answered = [scores[r.id] for r in members if r.id in scores]
        n_low = sum(1 for s in answered if s <= low_csat)
        n_esc = sum(r.escalated for r in members)
        n_rep = sum(r.id in repeats for r in members)
        out.append(
            {
                "reason": reason,
                "cases": len(members),
                "share": rate(len(members), len(rows)),
                "escalations": n_esc,
                "escalation_rate": rate(n_esc, len(members)),
                "csat_answers": len(answered),
                "low_csat": n_low,
                "low_csat_rate": rate(n_low, len(answered)),
                "repeats": n_rep,
                "repeat_rate": rate(n_rep, len(members)),
            }
        )
    key = order if order in ORDERS else "cases"
    out.sort(key=lambda r: (-float(r[key] or 0.0), -int(r["cases"]), str(r["reason"])))
    return out[:limit]


async def _cases(session: AsyncSession, f: ReportFilter) -> list[_Row]:
    stmt = select(
        col(Case.id),
        col(Case.customer_id),
        col(Case.topic),
        col(Case.opened_at),
        col(Case.reopen_count),
        escalated().label("escalated"),
    ).where(*f.cases(col(Case.opened_at)))
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return [
        _Row(i, c, topic or UNASSIGNED, opened, bool(reopens), bool(esc))
        for i, c, topic, opened, reopens, esc in result.all()
        if not (topic or "").startswith("recovery")
    ]


async def latest_csat(session: AsyncSession, case_ids: list[int]) -> dict[int, int]:
    """The latest CSAT answer of each case that has one."""
    out: dict[int, int] = {}
    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        stmt = (
            select(col(Pulse.case_id), col(Pulse.csat))
            .where(col(Pulse.case_id).in_(chunk), col(Pulse.csat).is_not(None))
            .order_by(col(Pulse.answered_at))
        )
        for case_id, csat in (await session.exec(stmt)).all():  # type: ignore[call-overload]
            out[int(case_id)] = int(csat)
    return out


async def _repeats(session: AsyncSession, rows: list[_Row], *, days: int) -> set[int]:
    """Cases that were reopened, or whose customer opened another case for the same reason
    within ``days`` after them."""
    repeated = {r.id for r in rows if r.reopened}
    if not rows:
        return repeated
    customers = sorted({r.customer_id for r in rows})
    later: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for start in range(0, len(customers), 500):
        stmt = select(col(Case.customer_id), col(Case.topic), col(Case.opened_at)).where(
            col(Case.customer_id).in_(customers[start : start + 500]),
            col(Case.opened_at) > min(r.opened_at for r in rows),
        )
        for customer_id, topic, opened in (await session.exec(stmt)).all():  # type: ignore[call-overload]
            later[(int(customer_id), topic or UNASSIGNED)].append(opened)
    window = timedelta(days=days)
    for row in rows:
        others = later.get((row.customer_id, row.reason), [])
        if any(row.opened_at < at <= row.opened_at + window for at in others):
            repeated.add(row.id)
    return repeated
