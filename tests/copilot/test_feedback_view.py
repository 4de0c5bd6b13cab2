"""The case view shows the customer's own past feedback (CSAT, CES, NPS, comments, the recovery
case), newest first, and nobody else's; contacts in a comment are shown as the viewer may see
them."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Pulse, PulseKind, PulseStatus
from core.models.base import utcnow
from tests.copilot.conftest import Users, seed_case


async def test_the_case_view_lists_the_customers_feedback_only(
    client: httpx.AsyncClient, db_session: AsyncSession, users: Users
) -> None:
    mine = await seed_case(db_session, text="Где заказ?")
    theirs = await seed_case(db_session, text="Hi", telegram_id="6001", name="Boris")
    now = utcnow()
    for customer_id, kind, scores, comment, ago in (
        (mine.customer_id, PulseKind.CSAT_CES, {"csat": 2, "ces": 3}, "Звоните +79991234567", 9),
        (mine.customer_id, PulseKind.NPS, {"nps": 4}, None, 2),
        (theirs.customer_id, PulseKind.NPS, {"nps": 10}, "Boris is happy", 1),
    ):
        db_session.add(
            Pulse(
                customer_id=customer_id,
                case_id=mine.id if kind == PulseKind.CSAT_CES else None,
                channel="telegram",
                kind=kind,
                status=PulseStatus.ANSWERED,
                token=f"fb-{customer_id}-{kind}",
                answered_at=now - timedelta(days=ago),
                comment=comment,
                **scores,
            )
        )
    db_session.add(
        Pulse(
            customer_id=mine.customer_id,
            channel="telegram",
            kind=PulseKind.NPS,
            status=PulseStatus.SENT,  # asked, never answered: not feedback
            token="fb-unanswered",
        )
    )
    await db_session.commit()

    own = (await client.get(f"/v1/cases/{mine.id}", headers=users.operator)).json()["feedback"]
    assert [(f["kind"], f["nps"], f["csat"], f["ces"]) for f in own] == [
        ("nps", 4, None, None),
        ("csat_ces", None, 2, 3),
    ]
    assert own[1]["comment"] == "Звоните +79991234567"  # the operator may act on the case
    assert "Boris" not in str(own)

    await client.post(f"/v1/cases/{mine.id}/assign", headers=users.operator2)
    other = (await client.get(f"/v1/cases/{mine.id}", headers=users.supervisor)).json()
    assert other["feedback"][1]["comment"] == "Звоните +79991234567"  # supervisors see contacts
