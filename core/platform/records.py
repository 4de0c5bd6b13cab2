"""Loading one row by its primary key, changing its state only while it still holds, and
inserting rows unless they are already stored, the same way in every service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement
from sqlmodel import SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


async def fetch(session: AsyncSession, model: type[Row], ident: Any, *, kind: str) -> Row:
    """The row, re-read from the database (not a stale identity-map copy), or ``NotFound``."""
    row = await session.get(model, ident, populate_existing=True)
    if row is None:
        raise NotFound(kind, ident)
    return row


async def claim(
    session: AsyncSession,
    model: type[Row],
    ident: Any,
    *,
    where: Sequence[ColumnElement[bool]],
    values: Mapping[str, Any],
) -> bool:
    """Apply ``values`` to the row only while ``where`` still holds, in one conditional UPDATE;
    False when another request changed the row first (nothing is written then).

    The UPDATE takes the row's write lock (PostgreSQL) or the database's (SQLite) and checks the
    state the database holds at that moment, so of two requests making the same transition
    at once exactly one wins, across processes too. The caller commits.
    """
    table: Any = model
    stmt = update(table).where(table.id == ident, *where).values(**values)
    result: Any = await session.exec(stmt.execution_options(synchronize_session=False))  # type: ignore[call-overload]
    return bool(result.rowcount == 1)


async def lock_row(session: AsyncSession, model: type[Row], ident: Any) -> None:
    """Hold ``model`` row ``ident`` until the transaction ends, so that check-then-write steps
    on it run one after another across requests and processes: ``SELECT … FOR UPDATE`` on
    PostgreSQL; on SQLite (no row locks) a no-op UPDATE, which takes the database write lock,
    and every later read in the transaction sees what was committed before it."""
    table: Any = model
    if session.get_bind().dialect.name == "postgresql":
        await session.exec(select(table.id).where(table.id == ident).with_for_update())
        return
    stmt = update(table).where(table.id == ident).values(id=table.id)
    await session.exec(stmt.execution_options(synchronize_session=False))  # type: ignore[call-overload]


async def insert_new(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]
) -> int:
    """``INSERT … ON CONFLICT DO NOTHING`` of ``rows`` in one statement: the rows that collide
    with a stored one on a unique key are skipped. Returns how many were inserted; the caller
    commits."""
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values([dict(row) for row in rows]).on_conflict_do_nothing()
    result: Any = await session.exec(stmt)
    return int(result.rowcount)
