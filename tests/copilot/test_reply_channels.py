"""A reply goes out on a channel that can deliver it, or is refused with 409 naming the channel;
never stored as pending forever. On SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from core.models import Case, ChannelIdentity, Customer, Message
from tests.copilot.conftest import Users, seed_case


async def _email_case(app: FastAPI) -> int:
    async with app.state.session_factory() as session:
        customer = Customer(name="Ann")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(ChannelIdentity(customer_id=customer.id, channel="email", external_id="a@x.io"))
        case = Case(customer_id=customer.id, origin_channel="email", owner="human")
        session.add(case)
        await session.flush()
        assert case.id is not None
        session.add(
            Message(case_id=case.id, direction="in", channel="email", author="customer", text="hi")
        )
        await session.commit()
        return case.id


async def test_a_reply_on_email_is_refused_with_409_and_nothing_pending(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    case_id = await _email_case(any_app)
    url = f"/v1/cases/{case_id}"
    res = await any_client.post(f"{url}/messages", headers=any_users.operator, json={"text": "ok"})
    assert res.status_code == 409
    assert "'email'" in res.json()["detail"] and res.json()["error"] == "ChannelUndeliverable"
    view = (await any_client.get(url, headers=any_users.operator)).json()
    assert [m["author"] for m in view["timeline"]] == ["customer"]
    assert view["case"]["assigned_operator"] is None  # refused before anything changed


async def test_a_telegram_reply_is_queued_for_the_bot_worker(
    any_app: FastAPI, any_client: httpx.AsyncClient, any_users: Users
) -> None:
    async with any_app.state.session_factory() as session:
        case = await seed_case(session, text="Где заказ?")
    res = await any_client.post(
        f"/v1/cases/{case.id}/messages", headers=any_users.operator, json={"text": "Едет"}
    )
    assert res.status_code == 201 and res.json()["channel"] == "telegram"
