"""Compensation offers: the must-work missing-item case, limits enforced server-side,
approval by supervisors, issuing, and the audit log."""

from __future__ import annotations

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from tests.copilot.conftest import Users, seed_case

ORDER = {
    "id": "A-1001",
    "total": 4350,
    "items": [
        {"name": "Молоко 3,2% 1 л", "price": 1200},
        {"name": "Хлеб бородинский", "price": 150},
        {"name": "Сыр гауда", "price": 3000},
    ],
}


async def test_missing_item_gets_a_bigger_promo_and_free_delivery_without_asking_again(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(
        db_session,
        text="Привезли заказ, а молоко не положили!",
        attributes={"order": "A-1001", "orders": [ORDER]},
    )
    sug = await client.get(f"/v1/cases/{case.id}/suggestions", headers=users.operator)
    assert sug.status_code == 200, sug.text
    offer = sug.json()["compensation"]
    assert offer["issue_type"] == "missing_item"
    items = {i["type"]: i["amount"] for i in offer["items"]}
    assert items["promo_code"] > 1200 and "free_delivery" in items
    assert "A-1001" in offer["reason"] and "Молоко" in offer["reason"]
    draft = sug.json()["draft"]
    assert draft.startswith("Здравствуйте, Анна!")
    assert "промокод" in draft and "бесплатную доставку" in draft
    assert "номер заказа" not in draft.lower()

    res = await client.post("/v1/compensations", headers=users.operator, json={"case_id": case.id})
    assert res.status_code == 201, res.text
    comp = res.json()
    assert comp["status"] == "approved" and not comp["requires_approval"]
    issued = await client.post(f"/v1/compensations/{comp['id']}/issue", headers=users.operator)
    assert issued.status_code == 200
    promo = next(i for i in issued.json()["items"] if i["type"] == "promo_code")
    assert promo["code"].startswith("CX-")
    audit = (await client.get(f"/v1/compensations/{comp['id']}", headers=users.operator)).json()
    assert [(a["action"], a["actor"]) for a in audit["audit"]] == [
        ("offered", "olga"),
        ("issued", "olga"),
    ]


async def test_above_the_operator_limit_waits_for_a_supervisor(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Сыр пришёл испорченный, повреждена упаковка")
    body = {"case_id": case.id, "issue_type": "damaged_item", "affected_amount": 3000}
    res = await client.post("/v1/compensations", headers=users.operator, json=body)
    assert res.status_code == 201, res.text
    comp = res.json()
    assert comp["status"] == "pending_approval" and comp["value"] > 2000
    cid = comp["id"]
    # the operator cannot skip the approval by calling the API directly
    assert (
        await client.post(f"/v1/compensations/{cid}/issue", headers=users.operator)
    ).status_code == 409
    assert (
        await client.post(f"/v1/compensations/{cid}/approve", headers=users.operator)
    ).status_code == 403
    ok = await client.post(f"/v1/compensations/{cid}/approve", headers=users.supervisor)
    assert ok.status_code == 200 and ok.json()["decided_by"] == "sveta"
    again = await client.post(f"/v1/compensations/{cid}/approve", headers=users.supervisor)
    assert again.status_code == 409
    issued = await client.post(f"/v1/compensations/{cid}/issue", headers=users.operator)
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    detail = (await client.get(f"/v1/compensations/{cid}", headers=users.supervisor)).json()
    assert [(a["action"], a["actor"]) for a in detail["audit"]] == [
        ("offered_pending_approval", "olga"),
        ("approved", "sveta"),
        ("issued", "olga"),
    ]
    assert all(a["at"] for a in detail["audit"])


async def test_reject_and_bad_requests(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Списали дважды за один заказ")
    body = {"case_id": case.id, "affected_amount": 5000}
    comp = (await client.post("/v1/compensations", headers=users.operator, json=body)).json()
    assert comp["issue_type"] == "wrong_charge" and comp["status"] == "pending_approval"
    rej = await client.post(
        f"/v1/compensations/{comp['id']}/reject", headers=users.supervisor, json={"note": "дубль"}
    )
    assert rej.status_code == 200 and rej.json()["status"] == "rejected"
    assert (
        await client.post(f"/v1/compensations/{comp['id']}/issue", headers=users.operator)
    ).status_code == 409

    unknown_issue = await client.post(
        "/v1/compensations", headers=users.operator, json={"case_id": case.id, "issue_type": "x"}
    )
    assert unknown_issue.status_code == 422
    no_case = await client.post(
        "/v1/compensations", headers=users.operator, json={"case_id": 424242}
    )
    assert no_case.status_code == 404
    # a caller cannot name the amount: unknown fields are refused
    sneaky = await client.post(
        "/v1/compensations", headers=users.operator, json={"case_id": case.id, "value": 1}
    )
    assert sneaky.status_code == 422
    vague = await seed_case(db_session, text="Здравствуйте", telegram_id="9")
    cannot = await client.post(
        "/v1/compensations", headers=users.operator, json={"case_id": vague.id}
    )
    assert cannot.status_code == 422 and "issue_type" in cannot.json()["detail"]
