"""Supervisor reports: summary metrics, the resolution log as CSV, chart series, churn risk.
Definitions of every figure: docs/metrics.md."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from copilot.auth import Supervisor
from copilot.deps import SessionDep, SettingsDep
from core.cases.reasons import for_settings
from core.feedback.recovery_report import recovery_outcomes
from core.reports import churn, llm_usage, metrics, resolution_log
from core.reports import reasons as reason_report

router = APIRouter(prefix="/v1/reports", tags=["reports"])
Text = Annotated[str | None, Query(max_length=200)]


def report_filter(
    from_: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
    channel: Text = None,
    topic: Text = None,
    operator: Text = None,
) -> metrics.ReportFilter:
    """Naive datetimes are taken as UTC; the window is [from, to)."""

    def utc(value: datetime | None) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    return metrics.ReportFilter(
        utc(from_), utc(to), channel or None, topic or None, operator or None
    )


FilterDep = Annotated[metrics.ReportFilter, Depends(report_filter)]


@router.get("/summary")
async def summary(
    session: SessionDep,
    _user: Supervisor,
    filters: FilterDep,
) -> dict[str, Any]:
    """Summary metrics over the cases in the window, with the filters applied."""
    return await metrics.summary(session, filters=filters)


@router.get("/llm")
async def llm(
    session: SessionDep, settings: SettingsDep, _user: Supervisor, filters: FilterDep
) -> dict[str, Any]:
    """The language model's calls in the window (``from``, ``to``) by model and purpose: calls,
    failures, tokens, average milliseconds and cost at ``CXC_LLM_PRICE_IN``/``_OUT``."""
    usage = await llm_usage.llm_usage(session, filters=filters, settings=settings)
    return dataclasses.asdict(usage)


@router.get("/recovery")
async def recovery(
    session: SessionDep, settings: SettingsDep, _user: Supervisor, filters: FilterDep
) -> dict[str, Any]:
    """Recovery cases opened in the window: why, how they ended, whether customers came back."""
    return await recovery_outcomes(session, filters=filters, settings=settings)


@router.get("/reasons")
async def reasons(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    filters: FilterDep,
    order: Literal["cases", "escalation_rate", "low_csat_rate", "repeat_rate"] = "cases",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Contact reasons of the cases opened in the window, ranked by ``order``."""
    rows = await reason_report.top_reasons(
        session,
        filters=filters,
        low_csat=settings.pulse_low_csat,
        repeat_days=settings.reopen_window_days,
        order=order,
        limit=limit,
    )
    taxonomy = for_settings(settings)
    return [{**row, "label": taxonomy.label(row["reason"])} for row in rows]


@router.get("/resolutions.csv", response_class=Response)
async def resolutions_csv(
    session: SessionDep,
    _user: Supervisor,
    filters: FilterDep,
) -> Response:
    """The resolution log: one row per case resolved in the window."""
    rows = await resolution_log.resolution_log(session, filters=filters)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=resolution_log.CSV_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="resolutions.csv"'},
    )


@router.get("/series")
async def series(
    session: SessionDep,
    _user: Supervisor,
    filters: FilterDep,
) -> dict[str, Any]:
    """Chart data for the dashboard (from the resolution log of the window)."""
    rows = await resolution_log.resolution_log(session, filters=filters)
    return resolution_log.dashboard_series(rows)


@router.get("/churn-risk")
async def churn_risk(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    days: Annotated[int, Query(ge=1, le=365)] = churn.WINDOW_DAYS,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Customers ranked by churn signals in the last ``days``, with the reasons."""
    ranked = await churn.churn_ranking(session, settings=settings, days=days, limit=limit)
    return [
        {
            "customer_id": e.customer_id,
            "name": e.name,
            "score": e.score,
            "signals": e.signals,
            "reasons": e.reasons,
        }
        for e in ranked
    ]
