"""Identity resolution on SQLite and PostgreSQL: phones compared in E.164 whatever the spacing,
national formats read in the default region, a CRM customer who writes in Telegram is one
customer, repeated syncs create nobody twice, and one phone on two CRM records is reported,
not merged."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence

import pytest
from factories import make_customer
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_sync import sync_source
from core.customers.identities import identify
from core.customers.keys import phone_key
from core.errors import InvalidInput
from core.models import ChannelIdentity, Customer, IdentityConflict
from core.ports import CrmPage, CrmRecord, CustomerData


class Pages:
    """A connector serving fixed pages (the sync's own logic is under test here)."""

    source = "hubspot"

    def __init__(self, *customers: CustomerData) -> None:
        self.customers = list(customers)

    async def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]:
        yield CrmPage(customers=self.customers, cursor="c1")

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]:
        return []


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("+7 912 000-02-37", "RU"),
        ("+79120000237", "UA"),
        ("8 (912) 000-02-37", "RU"),
        ("912 000 02 37", "RU"),
        ("+7-912-000-02-37", "MD"),
    ],
)
def test_phones_are_compared_in_e164(written: str, region: str) -> None:
    assert phone_key(written, region=region) == ("phone", "+79120000237")


def test_a_national_number_is_read_in_the_default_region() -> None:
    assert phone_key("067 123 4567", region="UA") == ("phone", "+380671234567")
    with pytest.raises(InvalidInput, match="not a valid number"):
        phone_key("067 123 4567", region="RU")


async def customers(session: AsyncSession) -> int:
    return int((await session.exec(select(func.count()).select_from(Customer))).one())


async def test_a_crm_customer_who_writes_in_telegram_is_one_customer(
    any_session: AsyncSession,
) -> None:
    olga = CustomerData("501", name="Olga", phones=("+7 912 000-02-37",), telegram_ids=("42",))
    await sync_source(any_session, connector=Pages(olga), region="RU")
    found = await identify(any_session, channel="telegram", external_id="42", display_name="O.")
    assert found.created is False and found.customer.name == "Olga"
    assert await customers(any_session) == 1


async def test_a_telegram_customer_later_found_in_the_crm_is_one_customer(
    any_session: AsyncSession,
) -> None:
    known = await make_customer(any_session, telegram_id="77", name=None)
    record = CustomerData("9", name="Ion", emails=("Ion@Example.RO",), telegram_ids=("77",))
    report = await sync_source(any_session, connector=Pages(record), region="RU")
    assert (report.created, report.updated, report.conflicts) == (0, 1, 0)
    assert await customers(any_session) == 1
    rows = (
        await any_session.exec(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == known.id)
        )
    ).all()
    assert {(r.channel, r.external_id) for r in rows} == {
        ("telegram", "77"),
        ("email", "ion@example.ro"),
        ("crm:hubspot", "9"),
    }


async def test_phone_and_email_find_the_same_customer_in_any_spelling(
    any_session: AsyncSession,
) -> None:
    await sync_source(
        any_session,
        connector=Pages(CustomerData("1", phones=("+79120000237",), emails=("a@b.example",))),
        region="RU",
    )
    again = CustomerData("1", name="Anna", phones=("8 912 000 02 37",), emails=("A@B.example",))
    report = await sync_source(any_session, connector=Pages(again), region="RU")
    assert (report.created, report.updated, report.conflicts) == (0, 1, 0)
    assert await customers(any_session) == 1


async def test_repeated_syncs_create_no_duplicates(any_session: AsyncSession) -> None:
    page = Pages(
        CustomerData("1", name="A", phones=("+7 912 000-02-37",)),
        CustomerData("2", name="B", emails=("b@example.com",)),
    )
    for _ in range(3):
        await sync_source(any_session, connector=page, region="RU")
    assert await customers(any_session) == 2
    n = (await any_session.exec(select(func.count()).select_from(ChannelIdentity))).one()
    assert n == 4


async def test_one_phone_on_two_crm_records_is_reported_not_merged(
    any_session: AsyncSession,
) -> None:
    first = CustomerData("1", name="Olga", phones=("+7 912 000-02-37",))
    second = CustomerData("2", name="Oleg", phones=("8 912 000 02 37",), emails=("o@example.com",))
    for _ in range(2):
        report = await sync_source(any_session, connector=Pages(first, second), region="RU")
    assert report.conflicts == 1
    assert await customers(any_session) == 2
    conflicts = (await any_session.exec(select(IdentityConflict))).all()
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert (conflict.channel, conflict.external_id, conflict.record_id) == (
        "phone",
        "+79120000237",
        "2",
    )
    holder = await any_session.get(Customer, conflict.holder_id)
    claimant = await any_session.get(Customer, conflict.claimant_id)
    assert holder is not None and claimant is not None
    assert (holder.name, claimant.name) == ("Olga", "Oleg")


async def test_an_invalid_phone_names_the_record_and_keeps_the_cursor(
    any_session: AsyncSession,
) -> None:
    bad = CustomerData("13", name="X", phones=("12",))
    report = await sync_source(
        any_session, connector=Pages(CustomerData("1", name="A"), bad), region="RU"
    )
    assert report.errors == ["customer 13: phone '12' is not a valid number (default region RU)"]
    assert report.cursor is None and report.created == 1


async def test_a_call_recorded_with_a_national_number_finds_the_crm_customer(
    any_session: AsyncSession,
) -> None:
    from datetime import UTC, datetime

    from core.customers.interactions import record_interaction

    mykola = CustomerData("77", name="Mykola", phones=("+380 67 123 4567",))
    await sync_source(any_session, connector=Pages(mykola), region="UA")
    call = await record_interaction(
        any_session,
        channel="phone",
        identity={"phone": "067 123 45 67"},
        direction="in",
        text="Де моє замовлення?",
        occurred_at=datetime(2026, 11, 1, tzinfo=UTC),
        region="UA",
    )
    assert call.customer_created is False and call.customer.name == "Mykola"
    assert await customers(any_session) == 1


def test_a_number_with_its_country_code_needs_only_a_possible_length() -> None:
    assert phone_key("+44 7700 970003", region="RU") == ("phone", "+447700970003")
    with pytest.raises(InvalidInput):
        phone_key("07700 970003", region="RU")
