"""A process keeps as many PostgreSQL connections as its concurrency needs: below that, every
burst opened new connections and closed them again (a new PostgreSQL backend each, seen as a
stream of short-lived backends while two bot replicas drained the webhook queue)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from core import db


async def _backends(url: str, *, pool_size: int, concurrency: int, rounds: int) -> set[int]:
    engine = db.create_engine(url, pool_size=pool_size)
    seen: set[int] = set()

    async def one() -> None:
        async with engine.connect() as conn:
            seen.add(int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            await asyncio.sleep(0.05)  # held, as a request holds it

    try:
        for _ in range(rounds):
            await asyncio.gather(*(one() for _ in range(concurrency)))
    finally:
        await engine.dispose()
    return seen


async def test_connections_are_kept_up_to_the_pool_size(postgres_database: str) -> None:
    kept = await _backends(postgres_database, pool_size=8, concurrency=8, rounds=4)
    assert len(kept) == 8  # the same eight connections, every round
    churned = await _backends(postgres_database, pool_size=2, concurrency=8, rounds=4)
    assert len(churned) > 8  # the bursts beyond the pool got new backends each round
