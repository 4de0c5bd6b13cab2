"""Operator case routes over the real app (ASGI), real SQLite and the real knowledge base."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from copilot.main import create_app
from core.config import Settings
from core.models import DeliveryStatus, OutboundDelivery
from core.platform import auth
from tests.copilot.conftest import RecordingTelegram, Users, seed_case


async def test_every_operator_route_needs_a_token(client: httpx.AsyncClient) -> None:
    for method, url in (
        ("GET", "/v1/cases"),
        ("GET", "/v1/cases/1"),
        ("POST", "/v1/cases/1/resolve"),
        ("POST", "/v1/interactions"),
        ("POST", "/v1/compensations"),
        ("GET", "/v1/promises"),
        ("GET", "/v1/users/me"),
    ):
        res = await client.request(method, url)
        assert res.status_code == 401, (method, url, res.text)
        assert res.headers["www-authenticate"] == "Bearer"
    bad = await client.get("/v1/cases", headers={"Authorization": "Bearer cxc_nope"})
    assert bad.status_code == 401
    assert (await client.get("/health")).status_code == 200


async def test_case_view_has_the_whole_omnichannel_timeline(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Где мой заказ?", telegram_id="77")
    call = await client.post(
        "/v1/interactions",
        headers=users.operator,
        json={
            "channel": "phone",
            "identity": {"telegram_id": "77", "phone": "+7 (900) 111-22-33"},
            "direction": "in",
            "text": "Звонила: заказ так и не пришёл",
            "occurred_at": "2030-01-01T10:00:00+00:00",
        },
    )
    assert call.status_code == 201, call.text
    assert call.json()["case_id"] == case.id and not call.json()["customer_created"]

    res = await client.get(f"/v1/cases/{case.id}", headers=users.operator)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["customer"]["name"] == "Анна"
    assert {(i["channel"], i["external_id"]) for i in body["identities"]} == {
        ("telegram", "77"),
        ("phone", "+79001112233"),
    }
    channels = [(m["channel"], m["text"]) for m in body["timeline"]]
    assert channels == [
        ("telegram", "Где мой заказ?"),
        ("phone", "Звонила: заказ так и не пришёл"),
    ]


async def test_reply_goes_out_through_the_outbound_channel(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users, telegram: RecordingTelegram
) -> None:
    case = await seed_case(db_session, text="Привезли не тот товар", telegram_id="901")
    res = await client.post(
        f"/v1/cases/{case.id}/messages", headers=users.operator, json={"text": "Уже меняем!"}
    )
    assert res.status_code == 201, res.text
    assert telegram.sent == [("901", "Уже меняем!")]
    assert res.json()["author_ref"] == "olga"
    delivery = (await db_session.exec(select(OutboundDelivery))).one()
    assert delivery.status == DeliveryStatus.SENT and delivery.message_id == res.json()["id"]
    # the operator took the case by replying: another operator may not act on it now
    detail = (await client.get(f"/v1/cases/{case.id}", headers=users.operator)).json()
    assert detail["case"]["assigned_operator"] == "olga"
    other = await client.post(
        f"/v1/cases/{case.id}/notes", headers=users.operator2, json={"text": "мой"}
    )
    assert other.status_code == 403
    sup = await client.get(f"/v1/cases/{case.id}", headers=users.supervisor)
    assert sup.status_code == 200


async def test_resolve_then_resolve_again_conflicts(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    case = await seed_case(db_session, text="Списали дважды")
    body = {"resolution": "Вернули лишнее списание", "resolution_code": "refund"}
    first = await client.post(f"/v1/cases/{case.id}/resolve", headers=users.operator, json=body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "resolved"
    again = await client.post(f"/v1/cases/{case.id}/resolve", headers=users.operator, json=body)
    assert again.status_code == 409


async def test_bad_input_unknown_ids_and_roles(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    missing = await client.get("/v1/cases/999999", headers=users.operator)
    assert missing.status_code == 404
    case = await seed_case(db_session, text="Не работает приложение")
    res = await client.post(
        f"/v1/cases/{case.id}/resolve", headers=users.operator, json={"resolution": ""}
    )
    assert res.status_code == 422
    fields = {tuple(e["loc"]) for e in res.json()["detail"]}
    assert ("body", "resolution") in fields and ("body", "resolution_code") in fields
    huge = await client.get("/v1/cases/99999999999999999999", headers=users.operator)
    assert huge.status_code == 422
    users_list = await client.get("/v1/users", headers=users.operator)
    assert users_list.status_code == 403


async def test_handback_and_queue_filters(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    mine = await seed_case(db_session, text="Вопрос по доставке", telegram_id="1")
    theirs = await seed_case(db_session, text="Вопрос по оплате", telegram_id="2")
    assign = await client.post(
        f"/v1/cases/{theirs.id}/assign", headers=users.supervisor, json={"operator": "ivan"}
    )
    assert assign.status_code == 200 and assign.json()["assigned_operator"] == "ivan"
    forbidden = await client.post(
        f"/v1/cases/{mine.id}/assign", headers=users.operator, json={"operator": "ivan"}
    )
    assert forbidden.status_code == 403
    seen = await client.get("/v1/cases", headers=users.operator, params={"status": "open"})
    assert [c["id"] for c in seen.json()] == [mine.id]
    everything = await client.get("/v1/cases", headers=users.supervisor)
    assert {c["id"] for c in everything.json()} == {mine.id, theirs.id}
    ivans = await client.get("/v1/cases", headers=users.supervisor, params={"assigned_to": "ivan"})
    assert [c["id"] for c in ivans.json()] == [theirs.id]

    back = await client.post(f"/v1/cases/{mine.id}/handback", headers=users.operator)
    assert back.status_code == 200 and back.json()["owner"] == "bot"
    again = await client.post(f"/v1/cases/{mine.id}/handback", headers=users.operator)
    assert again.status_code == 409


async def test_without_a_sender_the_reply_is_queued_for_the_bot_worker(
    app_settings: Settings, kb: Any
) -> None:
    app = create_app(app_settings, retriever=kb)  # no outbound: copilot has no Telegram sender
    async with app.router.lifespan_context(app):
        async with app.state.session_factory() as session:
            _user, token = await auth.create_user(session, name="olga", role="operator")
            case = await seed_case(session, text="Где курьер?", telegram_id="31")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            res = await client.post(
                f"/v1/cases/{case.id}/messages",
                headers={"Authorization": f"Bearer {token}"},
                json={"text": "Курьер будет через 10 минут"},
            )
        assert res.status_code == 201 and res.json()["meta"]["delivery"] == "pending"
        async with app.state.session_factory() as session:
            delivery = (await session.exec(select(OutboundDelivery))).one()
        assert (delivery.status, delivery.channel, delivery.external_id) == (
            "pending",
            "telegram",
            "31",
        )
        assert delivery.message_id == res.json()["id"]
