"""Supervisor reports: summary metrics, the resolution log as CSV, chart series, churn risk.
Definitions of every figure: docs/metrics.md."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from copilot.auth import Supervisor
from copilot.csv_export import csv_response
from copilot.deps import SessionDep, SettingsDep
from core.cases.reasons import for_settings
from core.config import Settings
from core.feedback.recovery_report import recovery_outcomes
from core.reports import churn, drilldown, llm_usage, metrics, resolution_log
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


Order = Literal["cases", "escalation_rate", "low_csat_rate", "repeat_rate"]
Limit = Annotated[int, Query(ge=1, le=100)]
REASON_COLUMNS = (
    "reason", "label", "cases", "share", "escalations", "escalation_rate", "csat_answers",
    "low_csat", "low_csat_rate", "repeats", "repeat_rate",
)  # fmt: skip


@router.get("/reasons")
async def reasons(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    filters: FilterDep,
    order: Order = "cases",
    limit: Limit = 20,
) -> list[dict[str, Any]]:
    """Contact reasons of the cases opened in the window, ranked by ``order``."""
    return await _reasons(session, settings, filters, order, limit)


@router.get("/reasons.csv", response_class=Response)
async def reasons_csv(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    filters: FilterDep,
    order: Order = "cases",
    limit: Limit = 100,
) -> Response:
    rows = await _reasons(session, settings, filters, order, limit)
    return csv_response(rows, REASON_COLUMNS, "reasons.csv")


async def _reasons(
    session: SessionDep, settings: Settings, filters: metrics.ReportFilter, order: str, limit: int
) -> list[dict[str, Any]]:
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


Figure = Literal["opened", "escalations", "low_csat", "resolved", "contained", "reopened"]


@router.get("/cases")
async def cases(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    filters: FilterDep,
    figure: Figure,
    reason: Text = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[dict[str, Any]]:
    """The cases behind a figure (the same window, filters and definition); with ``reason``
    those of a row of the contact-reasons report."""
    rows = await drilldown.cases_behind(
        session,
        figure=figure,
        filters=filters,
        low_csat=settings.pulse_low_csat,
        reason=reason,
        limit=limit,
    )
    return [dataclasses.asdict(r) for r in rows]


@router.get("/cases.csv", response_class=Response)
async def cases_csv(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    filters: FilterDep,
    figure: Figure,
    reason: Text = None,
) -> Response:
    rows = await drilldown.cases_behind(
        session, figure=figure, filters=filters, low_csat=settings.pulse_low_csat, reason=reason
    )
    columns = [f.name for f in dataclasses.fields(drilldown.CaseRow)]
    return csv_response(map(dataclasses.asdict, rows), columns, f"cases-{figure}.csv")


@router.get("/resolutions.csv", response_class=Response)
async def resolutions_csv(
    session: SessionDep,
    _user: Supervisor,
    filters: FilterDep,
) -> Response:
    """The resolution log: one row per case resolved in the window."""
    rows = await resolution_log.resolution_log(session, filters=filters)
    return csv_response(rows, resolution_log.CSV_COLUMNS, "resolutions.csv")


@router.get("/series")
async def series(
    session: SessionDep,
    _user: Supervisor,
    filters: FilterDep,
) -> dict[str, Any]:
    """Chart data for the dashboard (from the resolution log of the window)."""
    rows = await resolution_log.resolution_log(session, filters=filters)
    return resolution_log.dashboard_series(rows)


Days = Annotated[int, Query(ge=1, le=365)]
CHURN_COLUMNS = ("customer_id", "name", "score", "band", "reasons")


@router.get("/churn-risk")
async def churn_risk(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    days: Days = churn.WINDOW_DAYS,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Customers ranked by churn signals in the last ``days``, with the reasons."""
    ranked = await churn.churn_ranking(session, settings=settings, days=days, limit=limit)
    return [_churn_row(e) for e in ranked]


@router.get("/churn-risk.csv", response_class=Response)
async def churn_risk_csv(
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    days: Days = churn.WINDOW_DAYS,
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> Response:
    ranked = await churn.churn_ranking(session, settings=settings, days=days, limit=limit)
    rows = [{**_churn_row(e), "reasons": "; ".join(e.reasons)} for e in ranked]
    return csv_response(rows, CHURN_COLUMNS, "churn-risk.csv")


def _churn_row(e: churn.ChurnEntry) -> dict[str, Any]:
    return {
        "customer_id": e.customer_id,
        "name": e.name,
        "score": e.score,
        "band": churn.band(e.score),
        "signals": e.signals,
        "reasons": e.reasons,
    }
