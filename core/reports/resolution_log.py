"""The resolution log (one row per resolved case, the CSV export) and the dashboard's chart
series computed from it."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, Compensation, Pulse
from core.reports.query import (
    PAID,
    ReportFilter,
    dialect_of,
    person_involved,
    seconds_between,
)

CSV_COLUMNS = (
    "case_id",
    "customer_id",
    "channel",
    "topic",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "owner_path",
    "operator",
    "resolution_code",
    "ttr_s",
    "reopen_count",
    "csat",
    "ces",
    "compensation",
)


async def resolution_log(
    session: AsyncSession, *, filters: ReportFilter, limit: int = 200_000
) -> list[dict[str, Any]]:
    """One row per case resolved in the window (columns: ``CSV_COLUMNS``), oldest first."""
    pulse, paid = _answered_pulse(), _paid()
    ttr = seconds_between(dialect_of(session), col(Case.resolved_at), col(Case.opened_at))
    stmt = (
        select(Case, person_involved(), ttr, pulse.c.csat, pulse.c.ces, paid.c.total)
        .outerjoin(pulse, pulse.c.case_id == col(Case.id))
        .outerjoin(paid, paid.c.case_id == col(Case.id))
        .where(col(Case.resolved_at).is_not(None), *filters.cases(col(Case.resolved_at)))
        .order_by(col(Case.resolved_at), col(Case.id))
        .limit(limit)
    )
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return [_log_row(*row) for row in rows]


def _answered_pulse() -> Any:
    """Per case, the scores of its last answered CSAT/CES pulse."""
    last_pulse = (
        select(func.max(col(Pulse.id)).label("id"))
        .where(
            col(Pulse.kind) == "csat_ces",
            or_(col(Pulse.csat).is_not(None), col(Pulse.ces).is_not(None)),
        )
        .group_by(col(Pulse.case_id))
        .subquery("last_pulse")
    )
    return (
        select(col(Pulse.case_id), col(Pulse.csat), col(Pulse.ces))
        .where(col(Pulse.id).in_(select(last_pulse.c.id)))
        .subquery("answered")
    )


def _paid() -> Any:
    """Per case, the total of its approved and issued compensations."""
    return (
        select(col(Compensation.case_id), func.sum(col(Compensation.value)).label("total"))
        .where(col(Compensation.status).in_(PAID))
        .group_by(col(Compensation.case_id))
        .subquery("paid")
    )


def _log_row(
    c: Case, person: bool, seconds: float | None, csat: int | None, ces: int | None, total: Any
) -> dict[str, Any]:
    return {
        "case_id": c.id,
        "customer_id": c.customer_id,
        "channel": c.origin_channel,
        "topic": c.topic,
        "opened_at": c.opened_at.isoformat(),
        "first_response_at": c.first_response_at.isoformat() if c.first_response_at else None,
        "resolved_at": c.resolved_at.isoformat() if c.resolved_at else None,
        "owner_path": "bot → person" if person else "bot",
        "operator": c.assigned_operator,
        "resolution_code": c.resolution_code,
        "ttr_s": None if seconds is None else round(float(seconds), 3),
        "reopen_count": c.reopen_count,
        "csat": csat,
        "ces": ces,
        "compensation": float(total or 0.0),
    }


TTR_BUCKETS = (
    ("< 5 min", 300),
    ("5-60 min", 3600),
    ("1-4 h", 4 * 3600),
    ("4-24 h", 86400),
    ("1-3 d", 3 * 86400),
    ("> 3 d", math.inf),
)


def dashboard_series(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Chart data from resolution-log rows: TTR histogram; per resolution day and channel the
    CSAT and CES averages, and per channel how many answers they stand on; per day resolved,
    bot-contained and escalated (person) cases; and (compensation, CSAT) of every compensated
    case."""
    hist = dict.fromkeys((name for name, _ in TTR_BUCKETS), 0)
    days: dict[str, dict[str, int]] = {}
    scores: dict[tuple[str, str], dict[str, list[int]]] = {}
    points = []
    for row in rows:
        ttr = row["ttr_s"] if row["ttr_s"] is not None else 0.0
        hist[next(name for name, top in TTR_BUCKETS if ttr < top)] += 1
        day = str(row["resolved_at"])[:10]
        counts = days.setdefault(day, {"resolved": 0, "contained": 0, "escalated": 0})
        counts["resolved"] += 1
        counts["contained" if row["owner_path"] == "bot" else "escalated"] += 1
        bucket = scores.setdefault((day, row["channel"]), {"csat": [], "ces": []})
        for name in ("csat", "ces"):
            if row[name] is not None:
                bucket[name].append(row[name])
        if row["compensation"]:
            points.append(
                {"case_id": row["case_id"], "value": row["compensation"], "csat": row["csat"]}
            )
    return {
        "ttr_histogram": [{"bucket": k, "cases": v} for k, v in hist.items()],
        "daily": [{"day": d, **c} for d, c in sorted(days.items())],
        "satisfaction": [
            {
                "day": d,
                "channel": ch,
                "csat_avg": sum(s["csat"]) / len(s["csat"]) if s["csat"] else None,
                "ces_avg": sum(s["ces"]) / len(s["ces"]) if s["ces"] else None,
            }
            for (d, ch), s in sorted(scores.items())
        ],
        "compensation_vs_csat": points,
        "satisfaction_channels": _answers_by_channel(rows),
    }


def _answers_by_channel(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per channel with resolved cases: how many have a CSAT and a CES answer (0: no data)."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        counts = out.setdefault(
            row["channel"], {"resolved": 0, "csat_answers": 0, "ces_answers": 0}
        )
        counts["resolved"] += 1
        counts["csat_answers"] += row["csat"] is not None
        counts["ces_answers"] += row["ces"] is not None
    return [{"channel": ch, **c} for ch, c in sorted(out.items())]
