"""Every summary metric on a fixture with hand-computed values (tests/report_fixture.py), on
SQLite and PostgreSQL; filters, the resolution log and the churn-risk ranking."""

from __future__ import annotations

import pytest
import report_fixture as fx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.context import churn_risk
from core.models import Case, CaseEvent, Customer, Message
from core.reports import churn, metrics, resolution_log
from core.reports.metrics import ReportFilter

WINDOW = ReportFilter(start=fx.START, end=fx.END)


async def test_summary_matches_the_hand_computed_figures(any_session: AsyncSession) -> None:
    await fx.build(any_session)
    got = await metrics.summary(any_session, filters=WINDOW, now=fx.NOW)
    assert set(fx.EXPECTED) <= set(got)
    for name, value in fx.EXPECTED.items():
        assert got[name] == pytest.approx(value, rel=1e-9), name


async def test_filters_by_channel_operator_and_topic(any_session: AsyncSession) -> None:
    await fx.build(any_session)
    telegram = await metrics.summary(
        any_session,
        filters=ReportFilter(start=fx.START, end=fx.END, channel="telegram"),
        now=fx.NOW,
    )
    for name, value in fx.EXPECTED_TELEGRAM.items():
        assert telegram[name] == pytest.approx(value), name
    olga = await metrics.summary(
        any_session, filters=ReportFilter(start=fx.START, end=fx.END, operator="olga"), now=fx.NOW
    )
    for name, value in fx.EXPECTED_OLGA.items():
        assert olga[name] == pytest.approx(value), name
    refund = await metrics.summary(
        any_session, filters=ReportFilter(start=fx.START, end=fx.END, topic="refund"), now=fx.NOW
    )
    assert (refund["cases_opened"], refund["cases_resolved"]) == (2, 2)


async def test_no_filter_gives_the_same_totals_as_a_filter_that_matches_everything(
    any_session: AsyncSession,
) -> None:
    """The dashboard's default view (no filter) once counted 1 case and 100% escalation."""
    await fx.build(any_session)
    everything = ReportFilter(start=fx.at(1, month=1), end=fx.at(1, month=12))
    unfiltered = await metrics.summary(any_session, filters=ReportFilter(), now=fx.NOW)
    windowed = await metrics.summary(any_session, filters=everything, now=fx.NOW)
    assert unfiltered == windowed
    for name, value in fx.ALL_TIME.items():
        assert unfiltered[name] == pytest.approx(value), name


async def test_empty_window_gives_zero_counts_and_no_rates(any_session: AsyncSession) -> None:
    await fx.build(any_session)
    empty = ReportFilter(start=fx.at(1, month=1), end=fx.at(2, month=1))
    got = await metrics.summary(any_session, filters=empty, now=fx.NOW)
    assert got["cases_opened"] == 0 and got["compensation_total"] == 0.0
    for name in ("escalation_rate", "ttr_p50_s", "csat_avg", "nps", "pulse_response_rate"):
        assert got[name] is None, name


async def test_no_window_counts_every_case(any_session: AsyncSession) -> None:
    """Without from/to (the supervisor's first look) every case counts, not one row."""
    await fx.build(any_session)
    got = await metrics.summary(any_session, filters=ReportFilter(), now=fx.NOW)
    cases = (await any_session.exec(select(Case))).all()
    events = select(Message.case_id).where(Message.event == CaseEvent.ESCALATED)
    escalated = set((await any_session.exec(events)).all())
    assert got["cases_opened"] == len(cases) > fx.EXPECTED["cases_opened"]
    assert got["escalations"] == len(escalated) > 1


async def test_resolution_log_has_one_row_per_resolved_case(any_session: AsyncSession) -> None:
    ids = await fx.build(any_session)
    rows = await resolution_log.resolution_log(any_session, filters=WINDOW)
    by_case = {r["case_id"]: r for r in rows}
    assert set(by_case) == {ids[c] for c in ("c1", "c2", "c3", "c4", "c5", "c7")}
    assert list(rows[0]) == list(resolution_log.CSV_COLUMNS)
    assert rows[0]["case_id"] == ids["c7"]  # oldest resolution first
    c2 = by_case[ids["c2"]]
    assert c2["owner_path"] == "bot → person" and c2["operator"] == "olga"
    assert (c2["ttr_s"], c2["csat"], c2["ces"], c2["compensation"]) == (3600.0, 2, 3, 500.0)
    c1 = by_case[ids["c1"]]
    assert c1["owner_path"] == "bot" and c1["compensation"] == 100.0
    assert c1["opened_at"] == "2026-03-02T10:00:00+00:00"
    assert c1["first_response_at"] == "2026-03-02T10:00:30+00:00"
    c3 = by_case[ids["c3"]]
    assert (c3["reopen_count"], c3["csat"], c3["compensation"]) == (1, None, 300.0)


async def test_churn_ranking_with_reasons_and_in_the_customer_context(
    any_session: AsyncSession,
) -> None:
    ids = await fx.build(any_session)
    ranked = await churn.churn_ranking(any_session, now=fx.NOW)
    assert [(e.name, e.score) for e in ranked] == fx.EXPECTED_CHURN
    a = ranked[0]
    assert a.customer_id == ids["A"]
    assert a.signals == {"low_scores": 1, "broken_promises": 2, "repeat_contacts": 1}
    assert a.reasons[0].startswith("1 low score(s)")
    assert "1 repeat contact(s) on the same topic within 14 days" in a.reasons
    assert ranked[1].signals == {"low_scores": 1, "broken_promises": 1, "reopens": 1}
    one = await churn.customer_churn(any_session, customer_id=ids["B"], now=fx.NOW)
    assert one.score == 8
    customer = await any_session.get(Customer, ids["A"])
    assert customer is not None
    risk = await churn_risk(any_session, customer=customer)
    assert risk.flag and any("broken or overdue promise" in r for r in risk.reasons)


def test_percentile_matches_percentile_cont() -> None:
    assert metrics.percentile([], 0.5) is None
    assert metrics.percentile([7.0], 0.9) == 7.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert metrics.percentile([10.0, 0.0, 5.0], 0.9) == pytest.approx(9.0)
