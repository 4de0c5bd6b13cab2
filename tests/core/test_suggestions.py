"""Suggestions from similar resolved cases: ranking, outcome, the case memory kept current, the
draft in the customer's language and the customer's context."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.desk.case_memory import Recollection, remember_cases, similar_hits
from core.desk.drafts import detect_language
from core.desk.suggestions import suggest
from core.models import Case, Customer, Message, User
from core.platform import auth
from core.ports import CaseRecall

T0 = datetime(2030, 1, 1, tzinfo=UTC)
STATEMENTS = 22


async def _resolved(
    session: AsyncSession,
    text: str,
    resolution: str,
    code: str,
    *,
    reopened: int = 0,
    reply: str | None = None,
    at: datetime = T0,
) -> Case:
    customer = Customer()
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    case = Case(
        customer_id=customer.id,
        origin_channel="telegram",
        status="resolved",
        resolution=resolution,
        resolution_code=code,
        resolved_at=at,
        reopen_count=reopened,
    )
    session.add(case)
    await session.flush()
    assert case.id is not None
    session.add(
        Message(case_id=case.id, direction="in", channel="telegram", author="customer", text=text)
    )
    if reply:
        session.add(
            Message(
                case_id=case.id, direction="out", channel="telegram", author="operator", text=reply
            )
        )
    await session.commit()
    return case


async def _open(session: AsyncSession, text: str, **customer: object) -> Case:
    c = Customer(**customer)  # type: ignore[arg-type]
    session.add(c)
    await session.flush()
    assert c.id is not None
    case = Case(customer_id=c.id, origin_channel="telegram", owner="human")
    session.add(case)
    await session.flush()
    assert case.id is not None
    session.add(
        Message(case_id=case.id, direction="in", channel="telegram", author="customer", text=text)
    )
    await session.commit()
    return case


def test_draft_language_is_detected() -> None:
    assert detect_language("Де моє замовлення? Її немає") == "uk"
    assert detect_language("Где заказ") == "ru" and detect_language("Where is it") == "en"


async def test_similar_resolved_cases_rank_first_with_their_outcome(
    any_session: AsyncSession, recollection: Recollection
) -> None:
    for i in range(3):
        await _resolved(
            any_session,
            f"Не положили молоко в заказ {i}",
            "Промокод на сумму товара",
            "promo_issued",
            reopened=1 if i == 0 else 0,
            reply="Извините! Дарим промокод на стоимость молока.",
        )
    await _resolved(any_session, "Курьер опоздал на два часа", "Извинились", "late_sorry")
    user, _ = await auth.create_user(any_session, name="op", role="operator")
    open_case = await _open(any_session, "Опять не положили молоко!", name="Анна", language="ru")
    done = await remember_cases(any_session, recollection=recollection)
    assert (done.cases, done.crm_cases) == (4, 0)

    result = await suggest(
        any_session, case_id=open_case.id or 0, user=user, retriever=None, memory=recollection
    )
    top = result.resolutions[0]
    assert top.kind == "cases" and top.code == "promo_issued"
    assert top.outcome == {"cases": 3, "reopened": 1, "checked": 3}
    assert all(s["kind"] == "case" for s in top.sources) and 0 < top.score <= 1
    assert result.language == "ru"
    assert result.draft.splitlines()[0] == "Здравствуйте, Анна!"
    assert top.text == "Resolved as 'promo_issued'; 1 of the 3 checked reopened."
    assert all(
        "Промокод на сумму" not in r.text for r in result.resolutions
    )  # no other case's note
    # another case's operator reply informs nothing of the draft: it is never copied
    assert "Дарим промокод" not in result.draft
    assert "Мы разбираемся с вашим вопросом" in result.draft
    assert result.compensation is None and "affected_amount" in (result.compensation_note or "")
    assert not result.context.churn.flag
    assert result.timings_ms["total"] > 0


async def test_the_memory_picks_up_cases_resolved_later(
    session: AsyncSession, recollection: Recollection
) -> None:
    assert (await remember_cases(session, recollection=recollection)).cases == 0
    case = await _open(session, "Списали дважды за заказ")
    await lifecycle.resolve(
        session,
        case_id=case.id or 0,
        resolution="Вернули",
        code="refund",
        now=datetime.now(UTC) - timedelta(minutes=1),
    )
    assert (await remember_cases(session, recollection=recollection)).cases == 1
    assert (await remember_cases(session, recollection=recollection)).cases == 0
    # no word in common with the case's stems ("списал", "дважды"): found by meaning
    hits = await similar_hits(recollection, "двойное списание", topic=None, exclude=None)
    assert [h.case_id for h in hits] == [case.id]
    assert await similar_hits(recollection, "списали дважды", topic=None, exclude=case.id) == []


async def test_a_case_resolved_a_minute_ago_is_cited_before_any_whole_pass(
    session: AsyncSession, recollection: Recollection
) -> None:
    """The bounded pass before each suggestion remembers what was resolved since."""
    old = await _open(session, "Курьер не привёз заказ, опоздал на три часа")
    await lifecycle.resolve(
        session,
        case_id=old.id or 0,
        resolution="Извинились",
        code="late",
        now=datetime.now(UTC) - timedelta(minutes=1),
    )
    user = User(name="op", role="operator")
    case = await _open(session, "Курьер опаздывает уже на три часа, где заказ?")
    result = await suggest(
        session, case_id=case.id or 0, user=user, retriever=None, memory=recollection
    )
    assert [r.code for r in result.resolutions if r.kind == "cases"] == ["late"]


async def test_english_customer_gets_an_english_draft(session: AsyncSession) -> None:
    user = User(name="x", role="operator")
    case = await _open(session, "My order arrived late", name="John")
    result = await suggest(session, case_id=case.id or 0, user=user, retriever=None)
    assert result.language == "en" and result.draft.startswith("Hello, John!")


async def test_no_connection_is_held_while_the_memory_embeds_and_searches(
    any_engine: AsyncEngine, any_session: AsyncSession, settings: Settings
) -> None:
    """The case is read, its connection handed back to the pool, and only then are the encoders
    and the case memory asked (a request waiting for the model thread holds no connection)."""
    from knowledge.store.case_memory import ChromaCaseMemory

    held: list[int] = []

    class Watched(ChromaCaseMemory):
        async def similar(self, text: str, *, k: int) -> list[CaseRecall]:
            held.append(any_engine.pool.checkedout())  # type: ignore[attr-defined]
            return await super().similar(text, k=k)

        async def history(
            self, text: str, *, customer_id: int, keys: Sequence[str], k: int
        ) -> list[CaseRecall]:
            held.append(any_engine.pool.checkedout())  # type: ignore[attr-defined]
            return await super().history(text, customer_id=customer_id, keys=keys, k=k)

    memory = Watched(settings)
    try:
        recollection = Recollection(memory)
        past = await _resolved(any_session, "Курьер опоздал на два часа", "Извинились", "late")
        await _resolved(any_session, "Опять опоздал курьер", "Промокод", "late_promo")
        await remember_cases(any_session, recollection=recollection)
        user, _ = await auth.create_user(any_session, name="op", role="operator")
        case = Case(customer_id=past.customer_id, origin_channel="telegram", owner="human")
        any_session.add(case)
        await any_session.flush()
        text = "Курьер снова опаздывает"
        any_session.add(Message(case_id=case.id, direction="in", channel="telegram",
                                author="customer", text=text))  # fmt: skip
        await any_session.commit()
        result = await suggest(
            any_session, case_id=case.id or 0, user=user, retriever=None, memory=recollection
        )
    finally:
        memory.close()
    assert held == [0, 0]  # similar cases, then the customer's own past case
    assert [p.ref for p in result.context.past_cases] == [past.id]
    assert {r.code for r in result.resolutions} == {"late", "late_promo"}
    assert any_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_suggestion_reads_the_database_in_a_bounded_number_of_statements(
    any_engine: AsyncEngine, any_session: AsyncSession, settings: Settings
) -> None:
    """Every statement costs the API and the database CPU on each suggestion (the load test's
    bar is 30 suggestions/s on 2 cores): what a request has loaded once is passed on, not read
    again (the CRM cases, the customer's messages), and what can be counted together is (the
    promise counts, the churn signals)."""
    from knowledge.store.case_memory import ChromaCaseMemory

    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE")):
            statements.append(statement)

    memory = ChromaCaseMemory(settings)
    try:
        recollection = Recollection(memory)
        past = await _resolved(any_session, "Курьер опоздал на два часа", "Извинились", "late")
        await remember_cases(any_session, recollection=recollection)
        user, _ = await auth.create_user(any_session, name="op", role="operator")
        case = Case(customer_id=past.customer_id, origin_channel="telegram", owner="human")
        any_session.add(case)
        await any_session.flush()
        any_session.add(Message(case_id=case.id, direction="in", channel="telegram",
                                author="customer", text="Курьер снова опаздывает"))  # fmt: skip
        await any_session.commit()
        await suggest(any_session, case_id=case.id or 0, user=user, retriever=None,
                      memory=recollection)  # fmt: skip
        event.listen(any_engine.sync_engine, "before_cursor_execute", count)
        try:
            await suggest(any_session, case_id=case.id or 0, user=user, retriever=None,
                          memory=recollection)  # fmt: skip
        finally:
            event.remove(any_engine.sync_engine, "before_cursor_execute", count)
    finally:
        memory.close()
    assert len(statements) <= STATEMENTS, "\n".join(s.split("\n")[0] for s in statements)
