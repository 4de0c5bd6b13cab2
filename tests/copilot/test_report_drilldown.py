"""From a figure to its cases: the drill-down lists exactly the cases the summary and the
contact-reasons report count (on the realistic history of tests/report_data.py, SQLite and
PostgreSQL); every dashboard table downloads as CSV; a channel without answers says so."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
import report_data as data
import report_fixture as fx
from fastapi import FastAPI
from sqlmodel.ext.asyncio.session import AsyncSession

SUMMARY_OF = {
    "opened": "cases_opened",
    "escalations": "escalations",
    "resolved": "cases_resolved",
    "contained": "bot_contained",
}
REASON_OF = {"opened": "cases", "escalations": "escalations", "low_csat": "low_csat"}


async def _json(client: httpx.AsyncClient, path: str, params: dict[str, str], auth: Any) -> Any:
    res = await client.get(f"/v1/reports/{path}", params=params, headers=auth)
    assert res.status_code == 200, res.text
    return res.json()


@pytest.mark.slow
async def test_the_cases_behind_a_figure_are_the_ones_it_counts(
    any_app: FastAPI,
    any_client: httpx.AsyncClient,
    any_users,  # type: ignore[no-untyped-def]
) -> None:
    async with any_app.state.session_factory() as session:
        await data.build(session)
    auth = any_users.supervisor
    for view in ({}, {"channel": "phone"}, {"from": "2026-02-01", "to": "2026-03-01"}):
        summary = await _json(any_client, "summary", view, auth)
        for figure, name in SUMMARY_OF.items():
            rows = await _json(any_client, "cases", {**view, "figure": figure}, auth)
            assert len(rows) == summary[name], (view, figure)
            assert all(r["channel"] == view.get("channel", r["channel"]) for r in rows)
        resolved = await _json(any_client, "cases", {**view, "figure": "reopened"}, auth)
        assert len(resolved) == pytest.approx(summary["reopen_rate"] * summary["cases_resolved"])
        reasons = await _json(any_client, "reasons", {**view, "limit": "100"}, auth)
        assert reasons
        for row in reasons:
            for figure, name in REASON_OF.items():
                params = {**view, "figure": figure, "reason": row["reason"]}
                cases = await _json(any_client, "cases", params, auth)
                assert len(cases) == row[name], (view, row["reason"], figure)
    low = await _json(any_client, "cases", {"figure": "low_csat", "reason": "delivery"}, auth)
    assert low and all(r["csat"] <= 2 and r["topic"] == "delivery" for r in low)
    bad = await any_client.get("/v1/reports/cases", params={"figure": "nps"}, headers=auth)
    assert bad.status_code == 422


async def test_every_table_downloads_as_csv(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    await fx.build(db_session)
    auth = users.supervisor
    for path, params in (
        ("reasons", {}),
        ("churn-risk", {"days": "365"}),
        ("cases", {"figure": "escalations"}),
        ("retention", {}),
    ):
        shown = await _json(client, path, params, auth)
        res = await client.get(f"/v1/reports/{path}.csv", params=params, headers=auth)
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/csv")
        assert "attachment" in res.headers["content-disposition"]
        table = list(csv.DictReader(io.StringIO(res.text)))
        assert len(table) == len(shown), path
        first = shown[0]
        key = next(iter(first))
        assert table[0][key] == str(first[key]), path
        assert (
            await client.get(f"/v1/reports/{path}.csv", headers=users.operator)
        ).status_code == 403
    escalated = await _json(client, "cases", {"figure": "escalations"}, auth)
    assert [r["escalated"] for r in escalated] == [True, True, True]  # c2, c4, c6


async def test_a_channel_without_answers_is_marked_no_data(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    await fx.build(db_session)
    window = {"from": "2026-03-01", "to": "2026-03-15"}
    series = await _json(client, "series", window, users.supervisor)
    by_channel = {r["channel"]: r for r in series["satisfaction_channels"]}
    # telegram: c1, c2, c3, c5, c7 resolved, CSAT from c1 and c2; e-mail: c4, CSAT only
    assert by_channel["telegram"] == {
        "channel": "telegram",
        "resolved": 5,
        "csat_answers": 2,
        "ces_answers": 2,
    }
    assert (by_channel["email"]["csat_answers"], by_channel["email"]["ces_answers"]) == (1, 0)
