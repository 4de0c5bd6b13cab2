"""Supervisor reports: the summary metrics (definitions: docs/metrics.md); the resolution log
and the chart series are in ``report_log``.

Every figure is computed in SQL; percentiles with ``percentile_cont`` on PostgreSQL and, on
SQLite, from the fetched durations with the same linear interpolation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, Compensation, Promise, Pulse, SuggestionUse
from core.models.base import utcnow
from core.reports.query import (
    DURABLE_DAYS,
    PAID,
    ReportFilter,
    dialect_of,
    escalated,
    first_person_at,
    percentile,
    percentiles,
    person_involved,
    rate,
    seconds_between,
)

__all__ = ["ReportFilter", "percentile", "summary"]


async def summary(
    session: AsyncSession, *, filters: ReportFilter, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    if dialect_of(session) == "postgresql":
        # JIT compiling these short aggregates costs more than running them (~200 ms)
        await (await session.connection()).execute(text("SET LOCAL jit = off"))
    out: dict[str, Any] = {}
    if dialect_of(session) == "postgresql":
        out.update(await _case_figures_pg(session, filters, now))
    else:
        out.update(await _opened(session, filters))
        out.update(await _resolved(session, filters, now))
    out.update(await _pulses(session, filters))
    out.update(await _nps(session, filters))
    out.update(await _money_and_help(session, filters, now))
    return out


PG_CASE_FIGURES = """
WITH person AS (
  SELECT case_id, min(created_at) AS first_at,
         bool_or(author = 'system' AND event = 'escalated') AS escalated
  FROM message
  WHERE author = 'operator'
     OR (author = 'system' AND event IN ('escalated', 'assigned', 'reopened'))
  GROUP BY case_id
), c AS (
  SELECT c.opened_at, c.first_response_at, c.resolved_at, c.reopen_count, p.first_at,
         (p.case_id IS NOT NULL OR c.assigned_operator IS NOT NULL) AS person,
         coalesce(p.escalated, false) AS escalated,
         ({opened}) AS in_opened,
         (c.resolved_at IS NOT NULL AND {resolved}) AS in_resolved
  FROM "case" c LEFT JOIN person p ON p.case_id = c.id
  WHERE (({opened}) OR (c.resolved_at IS NOT NULL AND {resolved})) {rest}
)
SELECT
  count(*) FILTER (WHERE in_opened),
  count(*) FILTER (WHERE in_opened AND escalated),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - opened_at))
    FILTER (WHERE in_opened AND first_response_at IS NOT NULL),
  count(*) FILTER (WHERE in_resolved),
  count(*) FILTER (WHERE in_resolved AND NOT person),
  count(*) FILTER (WHERE in_resolved AND reopen_count > 0),
  count(*) FILTER (WHERE in_resolved AND resolved_at <= :matured),
  count(*) FILTER (WHERE in_resolved AND resolved_at <= :matured AND reopen_count = 0),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
    FILTER (WHERE in_resolved),
  percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
    FILTER (WHERE in_resolved),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - first_at))
    FILTER (WHERE in_resolved AND first_at IS NOT NULL)
FROM c
"""
"""The case figures in one pass over ``case`` and the partial index ``ix_message_person``
(PostgreSQL); the same definitions as :func:`_opened` and :func:`_resolved`."""


async def _case_figures_pg(session: AsyncSession, f: ReportFilter, now: datetime) -> dict[str, Any]:
    params: dict[str, Any] = {"matured": now - timedelta(days=DURABLE_DAYS)}
    windows = {}
    for name in ("opened", "resolved"):
        parts = ["TRUE"]
        if f.start is not None:
            parts.append(f"c.{name}_at >= :start")
            params["start"] = f.start
        if f.end is not None:
            parts.append(f"c.{name}_at < :end")
            params["end"] = f.end
        windows[name] = " AND ".join(parts)
    rest = ""
    for column, value in (("origin_channel", f.channel), ("topic", f.topic)):
        if value:
            rest += f" AND c.{column} = :{column}"
            params[column] = value
    if f.operator:
        rest += " AND c.assigned_operator = :operator"
        params["operator"] = f.operator
    sql = PG_CASE_FIGURES.format(opened=windows["opened"], resolved=windows["resolved"], rest=rest)
    row = (await (await session.connection()).execute(text(sql), params)).one()
    opened, n_esc, frt, n, contained, reopened, matured, durable, p50, p90, aht = row

    def num(v: Any) -> float | None:
        return None if v is None else float(v)

    return {
        "cases_opened": int(opened),
        "escalations": int(n_esc),
        "escalation_rate": rate(n_esc, opened),
        "frt_p50_s": num(frt),
        "cases_resolved": int(n),
        "bot_contained": int(contained),
        "bot_containment_rate": rate(contained, n),
        "ttr_p50_s": num(p50),
        "ttr_p90_s": num(p90),
        "aht_p50_s": num(aht),
        "reopen_rate": rate(reopened, n),
        "durable_resolution_rate": rate(durable, matured),
    }


async def _opened(session: AsyncSession, f: ReportFilter) -> dict[str, Any]:
    where = f.cases(col(Case.opened_at))
    # select_from: with no window nor filter, nothing else names ``case`` in the outer query
    # and the count would run over the EXISTS subquery alone (one row)
    stmt = (
        select(func.count(), func.sum(case((escalated(), 1), else_=0)))
        .select_from(Case)
        .where(*where)
    )
    opened, n_escalated = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    frt = seconds_between(dialect_of(session), col(Case.first_response_at), col(Case.opened_at))
    (frt_p50,) = await percentiles(
        session, frt, [*where, col(Case.first_response_at).is_not(None)], (0.5,)
    )
    return {
        "cases_opened": int(opened),
        "escalations": int(n_escalated or 0),
        "escalation_rate": rate(n_escalated, opened),
        "frt_p50_s": frt_p50,
    }


async def _resolved(session: AsyncSession, f: ReportFilter, now: datetime) -> dict[str, Any]:
    where = [col(Case.resolved_at).is_not(None), *f.cases(col(Case.resolved_at))]
    matured = col(Case.resolved_at) <= now - timedelta(days=DURABLE_DAYS)
    stmt = select(
        func.count(),
        func.sum(case((person_involved(), 0), else_=1)),
        func.sum(case((col(Case.reopen_count) > 0, 1), else_=0)),
        func.sum(case((matured, 1), else_=0)),
        func.sum(case((and_(matured, col(Case.reopen_count) == 0), 1), else_=0)),
    ).where(*where)
    n, contained, reopened, n_matured, durable = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    dialect = dialect_of(session)
    ttr = seconds_between(dialect, col(Case.resolved_at), col(Case.opened_at))
    ttr_p50, ttr_p90 = await percentiles(session, ttr, where, (0.5, 0.9))
    first = first_person_at()
    aht = seconds_between(dialect, col(Case.resolved_at), first.c.at)
    (aht_p50,) = await _aht(session, aht, first, where)
    return {
        "cases_resolved": int(n),
        "bot_contained": int(contained or 0),
        "bot_containment_rate": rate(contained, n),
        "ttr_p50_s": ttr_p50,
        "ttr_p90_s": ttr_p90,
        "aht_p50_s": aht_p50,
        "reopen_rate": rate(reopened, n),
        "durable_resolution_rate": rate(durable, n_matured),
    }


async def _aht(
    session: AsyncSession, aht: ColumnElement[float], first: Any, where: list[Any]
) -> list[float | None]:
    joined = [*where, col(Case.id) == first.c.case_id]
    if dialect_of(session) == "postgresql":
        stmt = select(func.percentile_cont(0.5).within_group(aht)).where(*joined)
        value = (await session.exec(stmt)).one()  # type: ignore[call-overload]
        return [None if value[0] is None else float(value[0])]
    rows = (await session.exec(select(aht).where(*joined))).all()  # type: ignore[call-overload]
    return [percentile([float(r[0]) for r in rows], 0.5)]


async def _pulses(session: AsyncSession, f: ReportFilter) -> dict[str, Any]:
    where = [
        col(Pulse.kind) == "csat_ces",
        *f.joined(col(Pulse.case_id), col(Pulse.resolved_at)),
    ]
    answered = or_(col(Pulse.csat).is_not(None), col(Pulse.ces).is_not(None))
    stmt = select(
        func.count(col(Pulse.sent_at)),
        func.sum(case((and_(col(Pulse.sent_at).is_not(None), answered), 1), else_=0)),
        func.avg(col(Pulse.csat)),
        func.count(col(Pulse.csat)),
        func.sum(case((col(Pulse.csat) >= 4, 1), else_=0)),
        func.avg(col(Pulse.ces)),
        func.count(col(Pulse.ces)),
        func.count(col(Pulse.recovery_case_id)),
    ).where(*where)
    sent, n_answered, csat_avg, n_csat, satisfied, ces_avg, n_ces, recoveries = (
        await session.exec(stmt)  # type: ignore[call-overload]
    ).one()
    return {
        "pulses_sent": int(sent),
        "pulses_answered": int(n_answered or 0),
        "pulse_response_rate": rate(n_answered, sent),
        "csat_answers": int(n_csat),
        "csat_avg": None if csat_avg is None else float(csat_avg),
        "csat_pct_satisfied": rate(satisfied, n_csat),
        "ces_answers": int(n_ces),
        "ces_avg": None if ces_avg is None else float(ces_avg),
        "recovery_cases": int(recoveries),
    }


async def _nps(session: AsyncSession, f: ReportFilter) -> dict[str, Any]:
    where: list[Any] = [col(Pulse.kind) == "nps", col(Pulse.nps).is_not(None)]
    if f.start is not None:
        where.append(col(Pulse.answered_at) >= f.start)
    if f.end is not None:
        where.append(col(Pulse.answered_at) < f.end)
    if f.channel:
        where.append(col(Pulse.channel) == f.channel)
    stmt = select(
        func.count(),
        func.sum(case((col(Pulse.nps) >= 9, 1), else_=0)),
        func.sum(case((col(Pulse.nps) <= 6, 1), else_=0)),
    ).where(*where)
    n, promoters, detractors = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    nps = None if not n else 100.0 * (int(promoters) - int(detractors)) / int(n)
    return {"nps_responses": int(n), "nps": nps}


async def _money_and_help(session: AsyncSession, f: ReportFilter, now: datetime) -> dict[str, Any]:
    comp = select(func.coalesce(func.sum(col(Compensation.value)), 0.0)).where(
        col(Compensation.status).in_(PAID),
        *f.joined(col(Compensation.case_id), col(Compensation.created_at)),
    )
    total = (await session.exec(comp)).one()[0]  # type: ignore[call-overload]
    sug = select(func.count(), func.count(col(SuggestionUse.accepted_at))).where(
        *f.joined(col(SuggestionUse.case_id), col(SuggestionUse.shown_at))
    )
    shown, accepted = (await session.exec(sug)).one()  # type: ignore[call-overload]
    overdue = select(func.count()).where(
        col(Promise.status) == "open",
        col(Promise.due_at) < now,
        *f.joined(col(Promise.case_id), col(Promise.due_at)),
    )
    n_overdue = (await session.exec(overdue)).one()[0]  # type: ignore[call-overload]
    return {
        "compensation_total": float(total),
        "suggestions_shown": int(shown),
        "suggestion_acceptance_rate": rate(accepted, shown),
        "promises_overdue": int(n_overdue),
    }
