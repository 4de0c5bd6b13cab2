"""Suggestion acceptance: showing suggestions and using one are recorded, once per case and
operator, and feed the reports' suggestion acceptance rate."""

from __future__ import annotations

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import SuggestionUse
from tests.copilot.conftest import Users, seed_case


async def _rows(session: AsyncSession) -> list[SuggestionUse]:
    stmt = select(SuggestionUse).execution_options(populate_existing=True)
    return list((await session.exec(stmt)).all())


async def _summary(client: httpx.AsyncClient, users: Users) -> dict[str, object]:
    res = await client.get("/v1/reports/summary", headers=users.supervisor)
    assert res.status_code == 200, res.text
    return dict(res.json())


async def test_shown_then_accepted_sets_the_acceptance_rate(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Курьер опоздал на два часа")
    before = await _summary(client, users)
    assert before["suggestions_shown"] == 0 and before["suggestion_acceptance_rate"] is None

    for _ in range(2):  # opening the case twice counts as shown once
        sug = await client.get(f"/v1/cases/{case.id}/suggestions", headers=users.operator)
        assert sug.status_code == 200, sug.text
    [shown] = await _rows(db_session)
    assert (shown.case_id, shown.user_name, shown.accepted_at) == (case.id, "olga", None)
    mid = await _summary(client, users)
    assert mid["suggestions_shown"] == 1 and mid["suggestion_acceptance_rate"] == 0.0

    url = f"/v1/cases/{case.id}/suggestions/accept"
    res = await client.post(url, headers=users.operator, json={"kind": "draft"})
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["ref"] == "draft" and body["accepted_at"] is not None
    again = await client.post(
        url, headers=users.operator, json={"kind": "compensation", "ref": "7"}
    )
    assert again.status_code == 200 and again.json()["ref"] == "draft"  # the first use counts

    [row] = await _rows(db_session)
    assert row.accepted_at is not None and row.ref == "draft"
    after = await _summary(client, users)
    assert after["suggestions_shown"] == 1 and after["suggestion_acceptance_rate"] == 1.0


async def test_accepting_without_opening_counts_as_shown_too(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Не положили молоко")
    res = await client.post(
        f"/v1/cases/{case.id}/suggestions/accept",
        headers=users.supervisor,
        json={"kind": "resolution", "ref": "faq:delivery-time"},
    )
    assert res.status_code == 200, res.text
    assert (
        res.json()["user_name"] == "sveta" and res.json()["ref"] == "resolution:faq:delivery-time"
    )
    summary = await _summary(client, users)
    assert summary["suggestions_shown"] == 1 and summary["suggestion_acceptance_rate"] == 1.0


async def test_bad_kind_and_other_operators_case_are_refused(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Где мой заказ?")
    url = f"/v1/cases/{case.id}/suggestions/accept"
    bad = await client.post(url, headers=users.operator, json={"kind": "everything"})
    assert bad.status_code == 422
    taken = await client.post(f"/v1/cases/{case.id}/assign", headers=users.operator)
    assert taken.status_code == 200, taken.text
    other = await client.post(url, headers=users.operator2, json={"kind": "draft"})
    assert other.status_code == 403
    hidden = await client.get(f"/v1/cases/{case.id}/suggestions", headers=users.operator2)
    assert hidden.status_code == 403
    missing = await client.post(
        "/v1/cases/999999/suggestions/accept", headers=users.operator, json={"kind": "draft"}
    )
    assert missing.status_code == 404
    assert await _rows(db_session) == []
