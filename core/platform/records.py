"""Loading one row by its primary key, the same way in every service."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


async def fetch(session: AsyncSession, model: type[Row], ident: Any, *, kind: str) -> Row:
    """The row, re-read from the database (not a stale identity-map copy), or ``NotFound``."""
    row = await session.get(model, ident, populate_existing=True)
    if row is None:
        raise NotFound(kind, ident)
    return row
