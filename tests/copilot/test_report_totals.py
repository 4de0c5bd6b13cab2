"""The same totals filtered or not: on a realistic history across every channel
(tests/report_data.py), the dashboard's default view (no filter) equals the sum of its
per-channel views and of its per-month views, for the summary, the chart series and the
contact reasons; averages and rates equal the weighted combination of the parts. On SQLite and
PostgreSQL (the summary's case figures take a separate path on each)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
import report_data as data
from fastapi import FastAPI

ADDITIVE = (
    "cases_opened",
    "escalations",
    "cases_resolved",
    "bot_contained",
    "pulses_sent",
    "pulses_answered",
    "csat_answers",
    "ces_answers",
    "recovery_cases",
    "nps_responses",
    "compensation_total",
    "suggestions_shown",
    "promises_overdue",
)
WEIGHTED = {
    "escalation_rate": "cases_opened",
    "bot_containment_rate": "cases_resolved",
    "reopen_rate": "cases_resolved",
    "pulse_response_rate": "pulses_sent",
    "csat_avg": "csat_answers",
    "csat_pct_satisfied": "csat_answers",
    "ces_avg": "ces_answers",
    "nps": "nps_responses",
    "suggestion_acceptance_rate": "suggestions_shown",
}
BY_CHANNEL = [{"channel": ch} for ch in data.CHANNELS]
BY_MONTH = [
    {"to": data.MONTHS[1].isoformat()},
    {"from": data.MONTHS[1].isoformat(), "to": data.MONTHS[2].isoformat()},
    {"from": data.MONTHS[2].isoformat()},
]


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str], auth: Any) -> Any:
    res = await client.get(f"/v1/reports/{path}", params=params, headers=auth)
    assert res.status_code == 200, res.text
    return res.json()


def _combined(parts: list[dict[str, Any]], name: str) -> float | None:
    weight = WEIGHTED[name]
    counted = [(p[name], p[weight]) for p in parts if p[name] is not None]
    total = sum(w for _, w in counted)
    return None if not total else sum(v * w for v, w in counted) / total


@pytest.mark.slow
@pytest.mark.parametrize("views", [BY_CHANNEL, BY_MONTH], ids=["channels", "months"])
async def test_the_default_totals_are_the_sum_of_the_filtered_views(
    any_app: FastAPI,
    any_client: httpx.AsyncClient,
    any_users,  # type: ignore[no-untyped-def]
    views: list[dict[str, str]],
) -> None:
    async with any_app.state.session_factory() as session:
        await data.build(session)
    auth = any_users.supervisor
    default = await _get(any_client, "summary", {}, auth)
    parts = [await _get(any_client, "summary", v, auth) for v in views]
    assert default["cases_opened"] > 150 and default["nps_responses"] == 40  # recovery cases too
    assert all(p["cases_opened"] for p in parts)  # every view holds data
    for name in ADDITIVE:
        assert sum(p[name] for p in parts) == pytest.approx(default[name]), name
    for name in WEIGHTED:
        assert _combined(parts, name) == pytest.approx(default[name]), name

    series = await _get(any_client, "series", {}, auth)
    part_series = [await _get(any_client, "series", v, auth) for v in views]
    for key in ("resolved", "contained", "escalated"):
        summed: Counter[str] = Counter()
        for s in part_series:
            summed.update({d["day"]: d[key] for d in s["daily"]})
        assert summed == Counter({d["day"]: d[key] for d in series["daily"]}), key
    hist = Counter({b["bucket"]: b["cases"] for b in series["ttr_histogram"]})
    assert (
        sum(
            (Counter({b["bucket"]: b["cases"] for b in s["ttr_histogram"]}) for s in part_series),
            Counter(),
        )
        == +hist
    )
    points = sorted(p["case_id"] for s in part_series for p in s["compensation_vs_csat"])
    assert points == sorted(p["case_id"] for p in series["compensation_vs_csat"])

    reasons = await _get(any_client, "reasons", {"limit": "100"}, auth)
    for field in ("cases", "escalations", "csat_answers", "low_csat"):
        summed = Counter()
        for v in views:
            rows = await _get(any_client, "reasons", {**v, "limit": "100"}, auth)
            summed.update({r["reason"]: r[field] for r in rows})
        assert +summed == +Counter({r["reason"]: r[field] for r in reasons}), field
