"""Migrations produce the models' schema on SQLite and PostgreSQL, and round-trip."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Case, ChannelIdentity, Customer, Message


async def test_every_model_table_exists(any_engine: AsyncEngine) -> None:
    async with any_engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert set(SQLModel.metadata.tables) <= tables


async def test_domain_rows_round_trip(any_session: AsyncSession) -> None:
    customer = Customer(name="Олена", language="uk", attributes={"order": "A-17"})
    any_session.add(customer)
    await any_session.flush()
    assert customer.id is not None
    any_session.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id="42"))
    case = Case(customer_id=customer.id, origin_channel="telegram", topic="delivery")
    any_session.add(case)
    await any_session.flush()
    assert case.id is not None
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    any_session.add(
        Message(
            case_id=case.id,
            direction="in",
            channel="telegram",
            author="customer",
            text="Де моє замовлення?",
            created_at=when,
            attachments=[{"type": "photo", "file_id": "x"}],
        )
    )
    await any_session.commit()

    got = (await any_session.exec(select(Message))).one()
    assert got.created_at == when and got.created_at.tzinfo is not None
    assert got.attachments == [{"type": "photo", "file_id": "x"}]
    assert (await any_session.get(Customer, customer.id)).attributes == {"order": "A-17"}
