"""Supervisors see failed deliveries and parked updates, and resend a failed delivery."""

from __future__ import annotations

import httpx
from conftest import Users
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import DeliveryStatus
from core.platform import deliveries, updates

FAILED = deliveries.Outcome(deliveries.OutcomeKind.REFUSED, error="Forbidden: bot was blocked")


async def test_failed_deliveries_are_listed_and_resent(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    row = await deliveries.record(
        db_session, external_id="5001", text="Refund sent", channel="telegram", owner="w"
    )
    await deliveries.begin_attempt(db_session, delivery_id=row.id or 0, owner="w")
    await deliveries.settle(db_session, delivery_id=row.id or 0, owner="w", outcome=FAILED)
    assert (await client.get("/v1/deliveries", headers=users.operator)).status_code == 403
    [listed] = (await client.get("/v1/deliveries?status=failed", headers=users.supervisor)).json()
    assert (listed["id"], listed["error"]) == (row.id, "Forbidden: bot was blocked")
    res = await client.post(f"/v1/deliveries/{row.id}/resend", headers=users.supervisor)
    assert res.status_code == 200 and res.json()["status"] == DeliveryStatus.PENDING
    again = await client.post(f"/v1/deliveries/{row.id}/resend", headers=users.supervisor)
    assert again.status_code == 409  # only a failed delivery is resent
    [queued] = await deliveries.claim(db_session, owner="w2", channel="telegram")
    assert queued.id == row.id


async def test_parked_updates_are_listed(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    await updates.enqueue_update(db_session, update_id=7, payload={"update_id": 7})
    for _ in range(3):
        await updates.fail_update(db_session, update_id=7, error="ValidationError: text")
    [parked] = (await client.get("/v1/updates?status=parked", headers=users.supervisor)).json()
    assert (parked["update_id"], parked["attempts"], parked["status"]) == (7, 3, "parked")
