"""Contact reasons over HTTP: the taxonomy, the operator's choice on resolve (422 for an unknown
code), and the supervisors' report of top reasons."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.copilot.conftest import Users, seed_case


async def test_the_taxonomy_the_choice_on_resolve_and_the_report(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    listed = await client.get("/v1/contact-reasons", headers=users.operator)
    codes = [r["code"] for r in listed.json()]
    assert listed.status_code == 200 and "late_delivery" in codes and codes[-1] == "other"
    assert listed.json()[codes.index("late_delivery")]["labels"]["uk"] == "Запізнення доставки"

    case = await seed_case(db_session, text="Курьер опоздал на два часа")
    url = f"/v1/cases/{case.id}/resolve"
    body = {"resolution": "Apologised", "resolution_code": "apology"}
    bad = await client.post(url, headers=users.operator, json={**body, "contact_reason": "x"})
    assert bad.status_code == 422 and "unknown contact reason" in bad.json()["detail"]
    res = await client.post(url, headers=users.operator, json={**body, "contact_reason": "quality"})
    assert res.status_code == 200 and res.json()["topic"] == "quality"

    other = await seed_case(db_session, text="Курьер опоздал на два часа", telegram_id="5002")
    res = await client.post(f"/v1/cases/{other.id}/resolve", headers=users.operator, json=body)
    assert res.json()["topic"] == "late_delivery"  # given automatically

    report = await client.get("/v1/reports/reasons", headers=users.supervisor)
    assert report.status_code == 200
    rows = {r["reason"]: r for r in report.json()}
    assert rows["late_delivery"]["cases"] == rows["quality"]["cases"] == 1
    assert rows["late_delivery"]["label"] == "Late delivery"
    assert (await client.get("/v1/reports/reasons", headers=users.operator)).status_code == 403
