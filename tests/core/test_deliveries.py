"""The delivery queue across processes: exclusive claims, leases, never sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from factories import make_case, make_message
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from core import db
from core.models import DeliveryStatus, Direction, Message, MessageMeta, OutboundDelivery
from core.platform import deliveries

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SENT = deliveries.Outcome(deliveries.OutcomeKind.SENT, provider_message_id="1")


async def _queue(engine: AsyncEngine, count: int) -> None:
    async with db.session_factory(engine)() as s:
        for i in range(count):
            await deliveries.record(s, external_id=str(i), text=f"m{i}", channel="telegram", now=T0)


async def test_two_workers_claiming_at_once_never_take_the_same_delivery(
    any_database_url: str, any_engine: AsyncEngine
) -> None:
    await _queue(any_engine, 60)
    engines = [db.create_engine(any_database_url) for _ in range(2)]
    try:

        async def worker(n: int) -> list[int]:
            taken: list[int] = []
            async with db.session_factory(engines[n])() as s:
                while batch := await deliveries.claim(
                    s, owner=f"w{n}", channel="telegram", now=T0, limit=7
                ):
                    taken += [d.id or 0 for d in batch]
            return taken

        first, second = await asyncio.gather(worker(0), worker(1))
    finally:
        for engine in engines:
            await engine.dispose()
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60


async def test_an_expired_lease_is_claimed_again_but_a_started_send_never_is(
    any_engine: AsyncEngine,
) -> None:
    await _queue(any_engine, 3)
    async with db.session_factory(any_engine)() as s:
        a, b, c = await deliveries.claim(s, owner="dead", channel="telegram", now=T0)
        assert await deliveries.begin_attempt(s, delivery_id=a.id or 0, owner="dead", now=T0)
        await deliveries.settle(s, delivery_id=c.id or 0, owner="dead", outcome=SENT, now=T0)
        # the worker is killed here: a was being sent, b never tried
        assert await deliveries.claim(s, owner="new", channel="telegram", now=T0) == []
        later = T0 + deliveries.LEASE + timedelta(seconds=1)
        [again] = await deliveries.claim(s, owner="new", channel="telegram", now=later)
        assert again.id == b.id and again.lease_owner == "new"
        # the dead worker's late answer about b is not taken for the truth
        assert not await deliveries.begin_attempt(s, delivery_id=b.id or 0, owner="dead", now=later)
        rows = {r.id: r for r in (await s.exec(select(OutboundDelivery))).all()}
    assert rows[a.id].status == DeliveryStatus.FAILED
    assert (rows[a.id].error or "").startswith("outcome unknown")
    assert rows[c.id].status == DeliveryStatus.SENT


async def test_a_send_cut_short_shows_as_failed_on_the_timeline(any_engine: AsyncEngine) -> None:
    """The sender killed mid-send: its delivery fails as unknown once the lease runs out, and
    the message on the case says so (it showed 'pending' forever)."""
    async with db.session_factory(any_engine)() as s:
        case = await make_case(s)
        reply = await make_message(s, case_id=case.id, direction=Direction.OUTBOUND, text="hi")
        reply.meta = MessageMeta(delivery=DeliveryStatus.PENDING)
        s.add(reply)
        await s.commit()
        await deliveries.record(
            s, external_id="7", text="hi", message_id=reply.id, channel="telegram", now=T0
        )
        [cut] = await deliveries.claim(s, owner="dead", channel="telegram", now=T0)
        assert await deliveries.begin_attempt(s, delivery_id=cut.id or 0, owner="dead", now=T0)
        later = T0 + deliveries.LEASE + timedelta(seconds=1)
        assert await deliveries.claim(s, owner="new", channel="telegram", now=later) == []
        shown = await s.get(Message, reply.id, populate_existing=True)
    assert shown is not None and shown.meta.delivery == DeliveryStatus.FAILED
