"""Storing a page of orders and past cases at once (``core.customers.crm_store``), on SQLite
and PostgreSQL: the same outcomes as one record at a time, a record repeated within the page,
a record naming a customer not synced yet, and a bounded number of statements whatever the
page's size (a bulk import of 300,000 orders cannot afford a query per order)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.customers.crm_store import store_cases, store_customer, store_customers, store_orders
from core.errors import InvalidInput
from core.models import ChannelIdentity, CrmCase, CustomerOrder
from core.ports import CaseData, CustomerData, OrderData


@contextmanager
def statements(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements ``session``'s engine runs meanwhile."""
    seen: list[str] = []
    engine = session.bind.sync_engine  # type: ignore[union-attr]

    def record(conn: object, cursor: object, sql: str, *args: object) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def order(n: int, customer: str = "C1", status: str = "shipped") -> OrderData:
    return OrderData(
        external_id=f"O{n}",
        customer_ref=customer,
        number=str(1000 + n),
        status=status,
        items=({"name": "Kettle", "price": 3490},),
    )


async def test_a_page_of_orders_is_stored_with_a_few_statements(
    any_session: AsyncSession,
) -> None:
    data = CustomerData(external_id="C1", name="Olga", phones=("+79120000237",))
    await store_customer(any_session, data, source="files", region="RU")
    page = [order(n) for n in range(300)]
    with statements(any_session) as seen:
        outcomes = await store_orders(any_session, page, source="files")
    assert outcomes == ["created"] * 300
    assert len(seen) <= 6, seen  # customers, stored orders, the inserts: not one per order
    await any_session.commit()
    again = await store_orders(
        any_session, [order(0), order(1, status="delivered")], source="files"
    )
    assert again == ["unchanged", "updated"]
    stored = (await any_session.exec(select(func.count()).select_from(CustomerOrder))).one()
    assert stored == 300


async def test_a_repeated_record_and_an_unknown_customer_within_one_page(
    any_session: AsyncSession,
) -> None:
    page = [order(1, "C9"), order(2, "C9"), order(1, "C9", status="delivered")]
    assert await store_orders(any_session, page, source="files") == [
        "created",
        "created",
        "updated",
    ]
    cases = [CaseData(external_id="K1", customer_ref="C9", subject="Списали дважды")]
    assert await store_cases(any_session, cases, source="files") == ["created"]
    await any_session.commit()
    holders = (
        await any_session.exec(
            select(ChannelIdentity.customer_id).where(ChannelIdentity.channel == "crm:files")
        )
    ).all()
    assert len(holders) == 1  # one customer for C9, not one per record naming it
    rows = (await any_session.exec(select(CustomerOrder))).all()
    assert {(r.external_id, r.status) for r in rows} == {("O1", "delivered"), ("O2", "shipped")}
    assert {r.customer_id for r in rows} == set(holders)
    case = (await any_session.exec(select(CrmCase))).one()
    assert case.customer_id == holders[0]
    # the customer's own record, when it comes, fills in the customer the orders point to
    data = CustomerData(external_id="C9", name="Ivan", emails=("ivan@example.com",))
    stored = await store_customer(any_session, data, source="files", region="RU")
    assert stored.customer_id == holders[0]


async def test_a_page_of_customers_costs_a_statement_each(any_session: AsyncSession) -> None:
    page = [
        CustomerData(
            external_id=f"C{n}",
            name=f"Customer {n}",
            phones=(f"+7 912 000-{n // 100:02d}-{n % 100:02d}",),
            emails=(f"c{n}@example.com",),
        )
        for n in range(200)
    ]
    page.append(CustomerData(external_id="C999", phones=("+7 912 000-00-05",)))  # C5's phone
    with statements(any_session) as seen:
        stored = await store_customers(any_session, page, source="files", region="RU")
    assert [s.outcome for s in stored if not isinstance(s, InvalidInput)] == ["created"] * 201
    assert stored[-1].conflicts == 1  # type: ignore[union-attr]
    inserts = [sql for sql in seen if sql.startswith("INSERT INTO customer ")]
    assert len(inserts) == 201 and len(seen) <= 201 + 8, seen[:3]
    await any_session.commit()
    keys = (await any_session.exec(select(func.count()).select_from(ChannelIdentity))).one()
    assert keys == 200 * 3 + 1  # CRM id, phone, e-mail each; C999 only its CRM id
    again = await store_customers(any_session, page[:3], source="files", region="RU")
    assert [s.outcome for s in again] == ["unchanged"] * 3  # type: ignore[union-attr]
