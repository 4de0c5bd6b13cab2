"""Other channels land on the right customer, matched by any identity the company knows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.interactions import record_interaction
from core.errors import InvalidInput
from core.models import ChannelIdentity, Customer

WHEN = datetime(2030, 5, 1, 9, 30, tzinfo=UTC)


async def test_matches_by_any_identity_and_links_the_new_ones(any_session: AsyncSession) -> None:
    first = await record_interaction(
        any_session,
        channel="email",
        identity={"email": "Anna@Example.com"},
        direction="in",
        text="Письмо про возврат",
        occurred_at=WHEN,
        recorded_by="op",
    )
    assert first.customer_created and first.case_created
    assert first.case.owner == "human" and first.case.origin_channel == "email"

    second = await record_interaction(
        any_session,
        channel="phone",
        identity={"phone": "8 900 123-45-67", "email": "anna@example.com"},
        direction="in",
        text="Звонок: где возврат?",
        occurred_at=WHEN,
        recorded_by="op",
    )
    assert second.customer.id == first.customer.id and not second.customer_created
    assert second.case.id == first.case.id and not second.case_created
    assert second.message.created_at == WHEN and second.message.channel == "phone"

    third = await record_interaction(
        any_session,
        channel="store",
        identity={"phone": "+7 (900) 1234567"},
        direction="in",
        text="Пришла в магазин",
        occurred_at=WHEN,
    )
    assert third.customer.id == first.customer.id
    ids = (
        await any_session.exec(select(ChannelIdentity.channel, ChannelIdentity.external_id))
    ).all()
    assert sorted(ids) == [("email", "anna@example.com"), ("phone", "+79001234567")]
    assert len((await any_session.exec(select(Customer))).all()) == 1


async def test_refuses_bad_identities_and_foreign_cases(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput):
        await record_interaction(
            session,
            channel="email",
            identity={"email": "nope"},
            direction="in",
            text="x",
            occurred_at=WHEN,
        )
    with pytest.raises(InvalidInput):
        await record_interaction(
            session,
            channel="fax",
            identity={"phone": "+79001112233"},
            direction="in",
            text="x",
            occurred_at=WHEN,
        )
    a = await record_interaction(
        session, channel="web", identity={"web_id": "a"}, direction="in", text="x", occurred_at=WHEN
    )
    with pytest.raises(InvalidInput, match="another customer"):
        await record_interaction(
            session,
            channel="web",
            identity={"web_id": "b"},
            direction="in",
            text="y",
            occurred_at=WHEN,
            case_id=a.case.id,
        )
