"""A Telegram customer who shares their phone becomes the CRM's customer of that phone, on SQLite
and PostgreSQL: a bare newcomer is merged (identity, cases) and deleted; a phone nobody holds is
attached; a newcomer with a record of their own is reported, not merged."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

from factories import make_case
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_sync import sync_source
from core.customers.identities import identify
from core.customers.linking import link_phone
from core.models import Case, ChannelIdentity, Customer, IdentityConflict
from core.ports import CrmPage, CrmRecord, CustomerData


class Pages:
    source = "hubspot"

    def __init__(self, *customers: CustomerData) -> None:
        self.customers = list(customers)

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        yield CrmPage(customers=self.customers, cursor="c1")

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        return []


async def _olga(session: AsyncSession) -> int:
    await sync_source(
        session,
        connector=Pages(CustomerData("501", name="Olga", phones=("+7 912 000-02-37",))),
        region="RU",
    )
    holder = (
        await session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "phone"))
    ).one()
    return holder.customer_id


async def test_a_bare_telegram_newcomer_is_merged_into_the_crm_customer(
    any_session: AsyncSession,
) -> None:
    olga = await _olga(any_session)
    newcomer = await identify(any_session, channel="telegram", external_id="42", language="ru")
    assert newcomer.customer.id is not None
    await make_case(any_session, customer_id=newcomer.customer.id)
    linked = await link_phone(
        any_session, customer_id=newcomer.customer.id, phone="8 912 000 02 37", region="RU",
        via="telegram",
    )  # fmt: skip
    assert (linked.customer_id, linked.merged) == (olga, True)
    n = (await any_session.exec(select(func.count()).select_from(Customer))).one()
    assert n == 1
    again = await identify(any_session, channel="telegram", external_id="42")
    assert again.customer.id == olga and again.customer.language == "ru"
    cases = (await any_session.exec(select(Case))).all()
    assert [c.customer_id for c in cases] == [olga]


async def test_a_phone_nobody_holds_is_attached(any_session: AsyncSession) -> None:
    newcomer = await identify(any_session, channel="telegram", external_id="43")
    assert newcomer.customer.id is not None
    linked = await link_phone(
        any_session, customer_id=newcomer.customer.id, phone="+40 721 234 567", region="RU",
        via="telegram",
    )  # fmt: skip
    assert (linked.customer_id, linked.merged, linked.conflict) == (
        newcomer.customer.id,
        False,
        False,
    )
    rows = (
        await any_session.exec(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == newcomer.customer.id)
        )
    ).all()
    assert {(r.channel, r.external_id) for r in rows} == {
        ("telegram", "43"),
        ("phone", "+40721234567"),
    }


async def test_a_newcomer_with_a_record_of_their_own_is_reported_not_merged(
    any_session: AsyncSession,
) -> None:
    olga = await _olga(any_session)
    other = await identify(any_session, channel="email", external_id="someone@example.com")
    assert other.customer.id is not None
    linked = await link_phone(
        any_session, customer_id=other.customer.id, phone="+79120000237", region="RU",
        via="telegram",
    )  # fmt: skip
    assert (linked.customer_id, linked.merged, linked.conflict) == (other.customer.id, False, True)
    conflict = (await any_session.exec(select(IdentityConflict))).one()
    assert (conflict.holder_id, conflict.claimant_id) == (olga, other.customer.id)
