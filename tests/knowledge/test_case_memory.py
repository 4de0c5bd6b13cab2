"""The case memory in Chroma with the local encoders: a customer's history is theirs alone even
when another customer's case says the very same words; similar cases are coded cases of ours;
what is remembered is embedded once per version; passes are idempotent and resume."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.desk import case_memory
from core.desk.case_memory import Recollection, remember_cases
from core.models import CrmCase
from core.ports import CaseMemo
from knowledge.store import case_memory as case_memory_store
from knowledge.store.case_memory import ChromaCaseMemory
from tests.factories import make_case, make_customer, make_message

SAME = "Не привезли заказ, курьер опоздал на три часа"


async def test_history_ranks_only_the_customers_own_cases(recollection: Recollection) -> None:
    memory = recollection.memory
    await memory.remember(
        [
            CaseMemo("case:1", 1, SAME, "v1", code="late"),
            CaseMemo("crm:1", 1, SAME, "v1"),
            CaseMemo("crm:2", 2, "Как сменить тариф на безлимитный", "v1"),
        ]
    )
    theirs = await memory.history(SAME, customer_id=2, keys=["crm:2"], k=10)
    assert [r.key for r in theirs] == ["crm:2"] and theirs[0].customer_id == 2
    # a key stored as another customer's is never returned, whoever asks for it
    assert await memory.history(SAME, customer_id=2, keys=["case:1", "crm:1"], k=10) == []
    assert await memory.history(SAME, customer_id=3, keys=[], k=10) == []
    similar = await memory.similar(SAME, k=10)
    assert [(r.key, r.code) for r in similar] == [("case:1", "late")]  # ours, coded only
    assert similar[0].score > 0.9


async def test_each_version_is_embedded_once(settings: Settings) -> None:
    memory = ChromaCaseMemory(settings)
    calls: list[int] = []
    embed = memory.embeddings.embed_documents

    def counting(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return embed(texts)

    memory.embeddings.embed_documents = counting  # type: ignore[method-assign]
    await memory.remember([CaseMemo("case:1", 1, SAME, "v1"), CaseMemo("case:2", 2, SAME, "v1")])
    assert calls == [1]  # the same words are embedded once
    assert await memory.versions(["case:1", "case:3"]) == {"case:1": "v1"}
    memory.close()
    again = ChromaCaseMemory(settings)
    assert await again.versions(["case:2"]) == {"case:2": "v1"}  # kept on disk
    again.close()


async def test_passes_remember_new_and_changed_cases_only(
    session: AsyncSession, recollection: Recollection
) -> None:
    customer = await make_customer(session)
    assert customer.id is not None
    at = datetime.now(UTC) - timedelta(days=3)
    case = await make_case(session, customer_id=customer.id, status="resolved", resolved_at=at,
                           resolution_code="late", topic="delivery")  # fmt: skip
    await make_message(session, case_id=case.id, text=SAME)
    crm = CrmCase(customer_id=customer.id, source="files", external_id="t-1", subject=SAME,
                  messages=[{"author": "customer", "text": "Где заказ?"}])  # fmt: skip
    session.add(crm)
    await session.commit()
    first = await remember_cases(session, recollection=recollection)
    assert (first.cases, first.crm_cases) == (1, 1)
    again = await remember_cases(session, recollection=recollection)
    assert (again.cases, again.crm_cases) == (0, 0)
    crm.synced_at = datetime.now(UTC)  # synced again: changed in the CRM
    session.add(crm)
    await session.commit()
    assert (await remember_cases(session, recollection=recollection)).crm_cases == 1


async def test_a_recent_pass_leaves_the_backlog_to_a_whole_one(
    session: AsyncSession, recollection: Recollection
) -> None:
    customer = await make_customer(session)
    old = datetime.now(UTC) - timedelta(days=30)
    await make_case(session, customer_id=customer.id, status="resolved", resolved_at=old,
                    resolution_code="late")  # fmt: skip
    recent = await remember_cases(session, recollection=recollection, recent_only=True)
    assert recent.cases == 0 and recollection.marks["case"] is None
    whole = await remember_cases(session, recollection=recollection)
    assert whole.cases == 1 and recollection.marks["case"] is not None


async def test_after_a_bulk_sync_a_suggestions_pass_asks_the_memory_about_nothing(
    session: AsyncSession, recollection: Recollection
) -> None:
    """A CRM import syncs thousands of cases within minutes: the pass before each suggestion
    must not look them all up again (it cost 0.7 s a suggestion after 20,000)."""
    customer = await make_customer(session)
    assert customer.id is not None
    for n in range(40):
        session.add(CrmCase(customer_id=customer.id, source="files", external_id=f"b-{n}",
                            subject=f"Заказ {n} опоздал"))  # fmt: skip
    await session.commit()
    assert (await remember_cases(session, recollection=recollection)).crm_cases == 40
    asked: list[int] = []
    versions = recollection.memory.versions

    async def counting(keys: Sequence[str]) -> dict[str, str]:
        asked.append(len(keys))
        return await versions(keys)

    recollection.memory.versions = counting  # type: ignore[method-assign]
    await remember_cases(session, recollection=recollection, recent_only=True)
    await remember_cases(session, recollection=recollection)  # a whole pass re-reads the lag
    assert sum(asked) == 0


async def test_a_recent_pass_does_not_wait_for_a_whole_one(
    session: AsyncSession, recollection: Recollection
) -> None:
    async with recollection.lock:  # a whole pass under way
        recent = await asyncio.wait_for(
            remember_cases(session, recollection=recollection, recent_only=True), timeout=5
        )
    assert (recent.cases, recent.checked) == (0, 0)


async def test_the_follower_remembers_on_its_interval(
    settings: Settings, engine: AsyncEngine, recollection: Recollection, session: AsyncSession
) -> None:
    from core import db

    customer = await make_customer(session)
    await make_case(session, customer_id=customer.id, status="resolved",
                    resolved_at=datetime.now(UTC), resolution_code="late")  # fmt: skip
    stop = asyncio.Event()

    async def opened() -> Recollection:
        return recollection

    task = asyncio.create_task(
        case_memory.follow(
            db.session_factory(engine),
            recollection=opened,  # type: ignore[arg-type]
            interval_s=0.05,
            stop=stop,
        )  # fmt: skip
    )
    for _ in range(200):
        if recollection.marks["case"] is not None:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    assert recollection.marks["case"] is not None


async def test_a_message_searched_in_the_memory_and_the_faq_is_embedded_once(
    settings: Settings,
) -> None:
    """A suggestion asks the case memory, then the FAQ, about the case's opening message: the
    second embedding is the kept vector (it doubled the suggestions' model time under load)."""
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources
    from knowledge.store import embeddings
    from tests.knowledge.conftest import GOOD_FILES

    model = embeddings.shared_e5()
    encode, seen = model.encode, []

    def recording(texts: list[str], is_query: bool) -> object:
        seen.append(list(texts))
        return encode(texts, is_query)

    memory = ChromaCaseMemory(settings)
    await memory.remember([CaseMemo("case:1", 1, "my parcel is late", "v1", code="late")])
    with build_knowledge(settings) as kb:
        kb.ingest_sync(load_sources(GOOD_FILES))
        model.encode = recording
        try:
            assert await memory.similar("when will my parcel be delivered", k=5)
            answer = await kb.ask("when will my parcel be delivered")
            await kb.ask("how do I return an item")
        finally:
            del model.encode
    memory.close()
    assert answer.entry_id == "delivery-time"
    assert seen == [["when will my parcel be delivered"], ["how do I return an item"]]


async def test_a_coded_case_behind_many_uncoded_neighbours_is_found(
    recollection: Recollection,
) -> None:
    """The similar-cases search reads metadata a few neighbours at a time: a coded case nearer
    than the floor but behind more uncoded ones than one read covers is still returned, and the
    nearest coded ones come first."""
    memory = recollection.memory
    crm = [CaseMemo(f"crm:{i}", 10 + i, SAME, "v1") for i in range(15)]
    await memory.remember(
        [
            *crm,
            CaseMemo(
                "case:1", 1, "Курьер опоздал на три часа, заказ не привезли", "v1", code="late"
            ),
            CaseMemo("case:2", 2, "Как сменить тариф на безлимитный", "v1", code="tariff"),
        ]
    )
    similar = await memory.similar(SAME, k=1)
    assert [(r.key, r.code) for r in similar] == [("case:1", "late")]
    assert len(crm) > 1 + case_memory_store.METADATA_SLACK  # beyond the first read
    assert [r.key for r in await memory.similar(SAME, k=5)][0] == "case:1"


async def test_a_whole_pass_never_holds_the_model_thread_for_long(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading many cases' versions takes the model thread a chunk at a time, so a question
    asked meanwhile is answered between two chunks, not after the whole read."""
    memory = ChromaCaseMemory(settings)
    await memory.remember([CaseMemo(f"case:{n}", n, f"{SAME} {n}", "v1") for n in range(40)])
    monkeypatch.setattr(case_memory_store, "READ_CHUNK", 10)
    finished: list[str] = []

    async def read_versions() -> None:
        found = await memory.versions([f"case:{n}" for n in range(40)])
        assert len(found) == 40
        finished.append("versions")

    async def ask() -> None:
        await memory.similar(SAME, k=3)
        finished.append("question")

    reading = asyncio.create_task(read_versions())
    await asyncio.sleep(0)  # the read's first chunk is on the model thread
    await asyncio.gather(reading, ask())
    memory.close()
    assert finished == ["question", "versions"]


async def test_a_process_that_starts_resumes_where_the_last_whole_pass_ended(
    session: AsyncSession, recollection: Recollection, settings: Settings
) -> None:
    """Each API process ran its first pass from the beginning: over 50,000 cases it asked the
    memory about every one and its questions waited seconds behind it, at every restart."""
    customer = await make_customer(session)
    now = datetime.now(UTC)
    for n in range(30):  # 25 resolved days ago, the last 5 within the re-read window
        at = now - (timedelta(days=3, minutes=n) if n >= 5 else timedelta(seconds=n))
        await make_case(session, customer_id=customer.id, status="resolved", resolved_at=at,
                        resolution_code="late", topic=f"topic {n}")  # fmt: skip
    assert (await remember_cases(session, recollection=recollection)).cases == 30
    later = ChromaCaseMemory(settings)  # another process, over the same memory
    asked: list[str] = []
    versions = later.versions

    async def counting(keys: Sequence[str]) -> dict[str, str]:
        asked.extend(keys)
        return await versions(keys)

    later.versions = counting  # type: ignore[method-assign]
    resumed = Recollection(later)
    assert (await remember_cases(session, recollection=resumed)).cases == 0
    assert len(asked) == 5
    await make_case(session, customer_id=customer.id, status="resolved", resolved_at=now,
                    resolution_code="late", topic="new")  # fmt: skip
    assert (await remember_cases(session, recollection=resumed)).cases == 1
    later.close()


async def test_a_memory_made_anew_is_read_from_the_beginning(
    session: AsyncSession, recollection: Recollection, settings: Settings
) -> None:
    customer = await make_customer(session)
    old = datetime.now(UTC) - timedelta(days=30)
    await make_case(session, customer_id=customer.id, status="resolved", resolved_at=old,
                    resolution_code="late")  # fmt: skip
    assert (await remember_cases(session, recollection=recollection)).cases == 1
    assert set(await recollection.memory.marks()) == {"case"}
    other = settings.model_copy(update={"chroma_collection": "elsewhere"})
    fresh = ChromaCaseMemory(other)  # an empty memory: no marks, every case is read
    assert await fresh.marks() == {}
    assert (await remember_cases(session, recollection=Recollection(fresh))).cases == 1
    fresh.close()
