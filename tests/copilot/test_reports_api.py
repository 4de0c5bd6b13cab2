"""Reports over HTTP: supervisors only; the summary, the CSV resolution log, chart series,
churn risk and the dashboard page, on the hand-computed fixture (tests/report_fixture.py)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
import report_fixture as fx
from sqlmodel.ext.asyncio.session import AsyncSession

from core.reports import resolution_log

WINDOW = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-15T00:00:00Z"}


async def test_only_supervisors_see_reports(client: httpx.AsyncClient, users) -> None:  # type: ignore[no-untyped-def]
    for path in ("summary", "resolutions.csv", "churn-risk", "series", "recovery", "llm"):
        assert (await client.get(f"/v1/reports/{path}")).status_code == 401
        assert (await client.get(f"/v1/reports/{path}", headers=users.operator)).status_code == 403
        assert (await client.get(f"/v1/reports/{path}", headers=users.admin)).status_code == 200


async def test_recovery_outcomes_over_http(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    await fx.build(db_session)
    res = await client.get("/v1/reports/recovery", params=WINDOW, headers=users.supervisor)
    got = res.json()
    assert res.status_code == 200
    assert got["recovery_opened"] == got["recovery_resolved"] + got["recovery_open"]
    assert set(got["recovery_triggers"]) <= {"csat", "ces", "nps", "comment"}


async def test_summary_over_http(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    await fx.build(db_session)
    res = await client.get("/v1/reports/summary", params=WINDOW, headers=users.supervisor)
    assert res.status_code == 200
    got = res.json()
    for name, value in fx.EXPECTED.items():
        if name != "durable_resolution_rate":  # depends on the time of the request
            assert got[name] == pytest.approx(value), name
    dated = {"from": "2026-03-01", "to": "2026-03-15", "channel": "telegram"}
    tg = (await client.get("/v1/reports/summary", params=dated, headers=users.supervisor)).json()
    for name, value in fx.EXPECTED_TELEGRAM.items():
        assert tg[name] == pytest.approx(value), name
    bad = await client.get("/v1/reports/summary", params={"from": "yesterday"}, headers=users.admin)
    assert bad.status_code == 422


async def test_the_dashboards_default_view_counts_every_case(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    """The dashboard asks for the summary with an empty query when no filter is set."""
    await fx.build(db_session)
    default = (await client.get("/v1/reports/summary?", headers=users.supervisor)).json()
    wide = {"from": "2000-01-01", "to": "2100-01-01"}
    everything = await client.get("/v1/reports/summary", params=wide, headers=users.supervisor)
    for name, value in fx.ALL_TIME.items():
        assert default[name] == pytest.approx(value), name
        assert everything.json()[name] == default[name], name


async def test_resolution_log_csv(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    ids = await fx.build(db_session)
    res = await client.get("/v1/reports/resolutions.csv", params=WINDOW, headers=users.supervisor)
    assert res.status_code == 200
    assert res.headers["content-type"].startswith("text/csv")
    assert "resolutions.csv" in res.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(res.text)))
    assert tuple(rows[0]) == resolution_log.CSV_COLUMNS
    assert len(rows) == 6
    c2 = next(r for r in rows if r["case_id"] == str(ids["c2"]))
    assert (c2["owner_path"], c2["operator"], c2["ttr_s"], c2["csat"], c2["ces"]) == (
        "bot → person",
        "olga",
        "3600.0",
        "2",
        "3",
    )
    assert c2["compensation"] == "500.0" and c2["resolution_code"] == "fixed"


async def test_series_and_churn_risk(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    users,  # type: ignore[no-untyped-def]
) -> None:
    ids = await fx.build(db_session)
    series = (
        await client.get("/v1/reports/series", params=WINDOW, headers=users.supervisor)
    ).json()
    hist = {b["bucket"]: b["cases"] for b in series["ttr_histogram"]}
    assert hist == {"< 5 min": 0, "5-60 min": 1, "1-4 h": 1, "4-24 h": 1, "1-3 d": 1, "> 3 d": 2}
    assert sum(d["contained"] for d in series["daily"]) == 3
    assert sum(d["escalated"] for d in series["daily"]) == 3
    points = {p["case_id"]: (p["value"], p["csat"]) for p in series["compensation_vs_csat"]}
    assert points == {ids["c1"]: (100.0, 5), ids["c2"]: (500.0, 2), ids["c3"]: (300.0, None)}
    res = await client.get("/v1/reports/churn-risk", params={"days": 365}, headers=users.admin)
    ranked = res.json()
    assert [r["name"] for r in ranked][:1] == ["A"]
    assert ranked[0]["reasons"] and ranked[0]["score"] > 0


async def test_dashboard_page_and_script(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/reports")
    assert page.status_code == 200
    for part in (
        "chart-ttr",
        "chart-sat",
        "chart-daily",
        "chart-comp",
        "Resolution log CSV",
        "reports.js",
        "retention.js",
        "report-labels.js",
        'id="drill"',
        'id="retention"',
        'id="reasons"',
        'id="recovery"',
    ):
        assert part in page.text
    script = await client.get("/console/static/reports.js")
    assert script.status_code == 200 and "/v1/reports/summary" in script.text
    assert "/v1/reports/reasons" in script.text and "/v1/reports/recovery" in script.text
    assert "http" not in script.text.replace("http://www.w3.org/2000/svg", "")
    for name, calls in (
        ("retention.js", "/v1/retention/actions"),
        ("report-labels.js", "frt_p50_s"),
    ):
        other = await client.get(f"/console/static/{name}")
        assert other.status_code == 200 and calls in other.text and "http" not in other.text
