"""Users and tokens: admins create users; the token is shown once and stored hashed."""

from __future__ import annotations

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ApiToken
from core.platform import auth
from tests.copilot.conftest import Users


async def test_admin_creates_a_user_whose_token_works(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    res = await client.post(
        "/v1/users", headers=users.admin, json={"name": "nina", "role": "supervisor"}
    )
    assert res.status_code == 201, res.text
    token = res.json()["token"]
    me = await client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["name"] == "nina" and me.json()["role"] == "supervisor"
    stored = (await db_session.exec(select(ApiToken.token_hash))).all()
    assert token not in stored and auth.hash_token(token) in stored

    dup = await client.post(
        "/v1/users", headers=users.admin, json={"name": "nina", "role": "admin"}
    )
    assert dup.status_code == 409
    bad = await client.post("/v1/users", headers=users.admin, json={"name": "x", "role": "god"})
    assert bad.status_code == 422
    denied = await client.post(
        "/v1/users", headers=users.supervisor, json={"name": "y", "role": "admin"}
    )
    assert denied.status_code == 403

    await auth.revoke_tokens(db_session, user_name="nina")
    gone = await client.get("/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


async def test_knowledge_search_for_operators(client: httpx.AsyncClient, users: Users) -> None:
    res = await client.get(
        "/v1/knowledge/search", headers=users.operator, params={"q": "сколько идёт доставка"}
    )
    assert res.status_code == 200
    assert res.json()["candidates"][0]["entry_id"] == "delivery_time"


async def test_a_rotated_token_replaces_every_other_at_once(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    created = await client.post(
        "/v1/users", headers=users.admin, json={"name": "rita", "role": "operator"}
    )
    first = created.json()["token"]
    spare = await auth.issue_token(db_session, user_name="rita")  # a second device's
    me = "/v1/users/me"
    for token in (first, spare):
        ok = await client.get(me, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    rotated = await auth.issue_token(db_session, user_name="rita", rotate=True)
    for token in (first, spare):
        gone = await client.get(me, headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401
    now = await client.get(me, headers={"Authorization": f"Bearer {rotated}"})
    assert now.status_code == 200 and now.json()["name"] == "rita"
