"""Migrations produce the models' schema on SQLite and PostgreSQL (nothing left for autogenerate),
rows round-trip, and the message columns are filled from the JSON they replace."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Connection, column, insert, inspect, table, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.config import Settings
from core.errors import ConfigError
from core.models import (
    Case,
    CaseEvent,
    ChannelIdentity,
    Customer,
    Message,
    MessageMeta,
    ReplyKind,
)
from core.models.base import UTCDateTime
from runtime import open_runtime


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


async def test_models_match_the_migrations(any_engine: AsyncEngine) -> None:
    def compare(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with any_engine.connect() as conn:
        assert await conn.run_sync(compare) == []


NOW = datetime(2030, 1, 1, tzinfo=UTC)
OLD_ROWS = [
    # (author, text, meta) as revision 0005 stored them
    ("system", "escalated", {"event": "escalated", "reason": "customer"}),
    ("system", "promise: call back", {"event": "promised", "due_at": "2030-01-02"}),
    ("system", "assigned", {}),
    ("bot", "Here is how", {"kind": "answer", "entry_id": "return-item", "language": "en"}),
    ("customer", "hi", {"edited": True}),
]


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no migrations run) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'blank.db'}"
        return
    base = str(request.getfixturevalue("postgres_database")).rsplit("/", 1)[0]
    name = f"cxc_m_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(base + "/postgres", f'CREATE DATABASE "{name}"'))
    yield f"{base}/{name}"
    asyncio.run(_admin(base + "/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(sql))
    await engine.dispose()


async def _store_old_rows(url: str) -> None:
    customer = table(
        "customer",
        column("id"),
        column("tier"),
        column("lifetime_value"),
        column("attributes", JSON),
        column("created_at", UTCDateTime()),
    )
    case = table(
        "case",
        column("id"),
        column("customer_id"),
        column("status"),
        column("owner"),
        column("origin_channel"),
        column("opened_at", UTCDateTime()),
        column("reopen_count"),
    )
    message = table(
        "message",
        column("case_id"),
        column("direction"),
        column("channel"),
        column("author"),
        column("text"),
        column("attachments", JSON),
        column("meta", JSON),
        column("created_at", UTCDateTime()),
    )
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            insert(customer).values(
                id=1, tier="standard", lifetime_value=0, attributes={}, created_at=NOW
            )
        )
        await conn.execute(
            insert(case).values(
                id=1,
                customer_id=1,
                status="open",
                owner="human",
                origin_channel="telegram",
                opened_at=NOW,
                reopen_count=0,
            )
        )
        for author, body, meta in OLD_ROWS:
            await conn.execute(
                insert(message).values(
                    case_id=1,
                    direction="internal",
                    channel="telegram",
                    author=author,
                    text=body,
                    attachments=[],
                    meta=meta,
                    created_at=NOW,
                )
            )
    await engine.dispose()


async def _read(url: str) -> list[Message]:
    engine = db.create_engine(url)
    async with db.session_factory(engine)() as session:
        rows = list((await session.exec(select(Message).order_by(col(Message.id)))).all())
    await engine.dispose()
    return rows


async def _raw_meta(url: str) -> list[dict[str, Any]]:
    engine = db.create_engine(url)
    message = table("message", column("id"), column("meta", JSON))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(message.c.meta).order_by(message.c.id))).all()
    await engine.dispose()
    return [dict(r[0]) for r in rows]


def test_message_columns_are_filled_from_meta_and_back(blank_url: str) -> None:
    db.upgrade(blank_url, "0005")
    asyncio.run(_store_old_rows(blank_url))
    db.upgrade(blank_url)
    rows = asyncio.run(_read(blank_url))
    assert [(m.event, m.reply_kind, m.entry_id) for m in rows] == [
        (CaseEvent.ESCALATED, None, None),
        (CaseEvent.PROMISED, None, None),
        (CaseEvent.ASSIGNED, None, None),  # from the text: it had no meta
        (None, ReplyKind.ANSWER, "return-item"),
        (None, None, None),
    ]
    assert rows[0].meta == MessageMeta(reason="customer")
    assert rows[3].meta == MessageMeta(language="en") and rows[4].meta.edited
    assert [m.meta_json() for m in rows] == [meta or {"event": "assigned"} for *_, meta in OLD_ROWS]

    command.downgrade(db.alembic_config(blank_url), "0005")
    restored = asyncio.run(_raw_meta(blank_url))
    assert restored == [meta for *_, meta in OLD_ROWS[:2]] + [{"event": "assigned"}] + [
        meta for *_, meta in OLD_ROWS[3:]
    ]


def test_a_process_refuses_a_schema_older_than_its_own(blank_url: str, tmp_path: Path) -> None:
    """Started before `cxc db upgrade` (CXC_AUTO_MIGRATE=false, as the compose file runs it),
    a process stopped on the first missing table with a raw traceback."""
    settings = Settings(env="test", data_dir=tmp_path / "data", database_url=blank_url,
                        auto_migrate=False, _env_file=None)  # type: ignore[call-arg]  # fmt: skip

    async def start() -> None:
        async with open_runtime(settings, knowledge=False):
            pass

    with pytest.raises(ConfigError, match="is at no schema.*run `cxc db upgrade`"):
        asyncio.run(start())
    db.upgrade(blank_url, "0005")
    with pytest.raises(ConfigError, match="is at 0005, this version needs 00"):
        asyncio.run(start())
    db.upgrade(blank_url)
    asyncio.run(start())
    asyncio.run(_stamp(blank_url, "9999_from_a_newer_version"))
    asyncio.run(start())  # a rolling upgrade: the older replicas keep running on the new schema


async def _stamp(url: str, revision: str) -> None:
    engine = db.create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    await engine.dispose()
