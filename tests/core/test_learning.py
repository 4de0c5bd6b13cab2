"""core.learning.candidates: operators' resolutions teach the REAL knowledge base (a fresh one per
test, since approvals change it), checked through the bot's own path (Conversation.handle)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import FIXTURE_FAQ, kb_settings, make_case, make_message
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.conversation.inbound import Identity, Inbound
from core.conversation.replies import Reply, ReplyKind
from core.conversation.turn import Conversation
from core.desk import operators
from core.domain import FaqEntry
from core.errors import EntryNotFound, InvalidInput, InvalidTransition, NotAllowed, NotFound
from core.learning import candidates, review
from core.models import Author, CandidateStatus, Case, Direction, KnowledgeItem, MessageMeta, User
from core.platform import auth

ESCALATED = "пакет порвался, яйца разбились"  # the fixture KB escalates this situation
JOBS = "У вас есть вакансии?"


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[Any]:
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    with build_knowledge(kb_settings(tmp_path / "kb")) as base:
        base.ingest_sync(load_sources([FIXTURE_FAQ]))
        yield base


@pytest.fixture
async def people(session: AsyncSession) -> dict[str, User]:
    made = {}
    for name, role in (("olga", "operator"), ("sveta", "supervisor")):
        made[name], _token = await auth.create_user(session, name=name, role=role)
    return made


def render(reply: Reply) -> str:
    return "" if reply.kind == ReplyKind.QUEUED else f"{reply.kind}"


async def inbound(session: AsyncSession, kb: Any, settings: Settings, text: str) -> Reply:
    conversation = Conversation(retriever=kb, settings=settings, render=render)
    who = Identity(channel="telegram", external_id="4242")
    return await conversation.handle(session, Inbound(identity=who, text=text))


async def resolve(session: AsyncSession, kb: Any, user: User, case_id: int, **link: Any) -> Case:
    return await operators.resolve_case(
        session,
        case_id=case_id,
        user=user,
        resolution="explained the return",
        resolution_code="answered",
        retriever=kb,
        **link,
    )


async def test_an_approved_resolution_is_answered_by_the_bot_next_time(
    session: AsyncSession, kb: Any, settings: Settings, people: dict[str, User]
) -> None:
    first = await inbound(session, kb, settings, ESCALATED)
    assert first.kind == ReplyKind.ESCALATED

    case = await resolve(
        session, kb, people["olga"], first.case_id, knowledge_entry_id="return-item"
    )
    assert case.knowledge_entry_id == "return-item"
    [candidate] = await review.list_candidates(session, status="proposed")
    assert (candidate.case_id, candidate.entry_id, candidate.text) == (
        first.case_id,
        "return-item",
        ESCALATED,
    )
    assert candidate.proposed_by == "olga"
    assert candidate.id is not None

    with pytest.raises(NotAllowed):
        await review.approve_candidate(
            session, candidate_id=candidate.id, user=people["olga"], retriever=kb
        )
    assert (await kb.ask(ESCALATED)).decision == "escalate"  # nothing learned yet

    approved = await review.approve_candidate(
        session, candidate_id=candidate.id, user=people["sveta"], retriever=kb
    )
    assert (approved.status, approved.decided_by) == (CandidateStatus.APPROVED, "sveta")
    assert approved.decided_at is not None
    item = await session.get(KnowledgeItem, "return-item")
    assert item is not None and ESCALATED in item.questions
    assert "How do I return an item?" in item.questions

    again = await inbound(session, kb, settings, ESCALATED)
    assert again.kind == ReplyKind.ANSWER and again.case_id != first.case_id
    assert again.answer is not None and again.answer.entry_id == "return-item"


async def test_a_new_entry_written_from_a_case_answers_once_approved(
    session: AsyncSession, kb: Any, settings: Settings, people: dict[str, User]
) -> None:
    first = await inbound(session, kb, settings, JOBS)
    assert first.kind == ReplyKind.ESCALATED
    new = candidates.NewEntry("Do you have job openings?", "Yes: write to jobs@example.com.")
    await resolve(session, kb, people["olga"], first.case_id, new_entry=new)
    [candidate] = await review.list_candidates(session)
    assert candidate.entry_id == f"case-{first.case_id}" and candidate.text == JOBS
    assert candidate.new_entry_answer == "Yes: write to jobs@example.com."
    assert candidate.id is not None and kb.entry(candidate.entry_id) is None

    await review.approve_candidate(
        session, candidate_id=candidate.id, user=people["sveta"], retriever=kb
    )
    entry = kb.entry(candidate.entry_id)
    assert entry is not None and entry.questions == ("Do you have job openings?", JOBS)
    item = await session.get(KnowledgeItem, candidate.entry_id)
    assert item is not None and item.answer == "Yes: write to jobs@example.com."
    assert item.source == f"case:{first.case_id}"

    again = await inbound(session, kb, settings, JOBS)
    assert again.kind == ReplyKind.ANSWER and again.answer is not None
    assert again.answer.entry_id == candidate.entry_id
    assert (await kb.ask("How do I return an item?")).entry_id == "return-item"  # still there


async def test_rejected_and_decided_candidates(
    session: AsyncSession, kb: Any, settings: Settings, people: dict[str, User]
) -> None:
    first = await inbound(session, kb, settings, ESCALATED)
    await resolve(session, kb, people["olga"], first.case_id, knowledge_entry_id="return-item")
    [candidate] = await review.list_candidates(session)
    assert candidate.id is not None
    with pytest.raises(NotAllowed):
        await review.reject_candidate(session, candidate_id=candidate.id, user=people["olga"])
    rejected = await review.reject_candidate(
        session, candidate_id=candidate.id, user=people["sveta"], note="too vague"
    )
    assert (rejected.status, rejected.note) == (CandidateStatus.REJECTED, "too vague")
    with pytest.raises(InvalidTransition):
        await review.reject_candidate(session, candidate_id=candidate.id, user=people["sveta"])
    with pytest.raises(InvalidTransition):
        await review.approve_candidate(
            session, candidate_id=candidate.id, user=people["sveta"], retriever=kb
        )
    assert (await kb.ask(ESCALATED)).decision == "escalate"
    assert await review.list_candidates(session, status="proposed") == []
    with pytest.raises(NotFound):
        await review.approve_candidate(
            session, candidate_id=candidate.id + 99, user=people["sveta"], retriever=kb
        )


async def test_unknown_entry_is_refused_before_the_case_changes(
    session: AsyncSession, kb: Any, settings: Settings, people: dict[str, User]
) -> None:
    first = await inbound(session, kb, settings, ESCALATED)
    with pytest.raises(EntryNotFound):
        await resolve(session, kb, people["olga"], first.case_id, knowledge_entry_id="nope")
    case = await lifecycle.get_case(session, first.case_id)
    assert case.status == "open" and case.knowledge_entry_id is None
    with pytest.raises(InvalidInput):
        await resolve(
            session,
            kb,
            people["olga"],
            first.case_id,
            knowledge_entry_id="return-item",
            new_entry=candidates.NewEntry("q", "a"),
        )
    assert await review.list_candidates(session) == []


async def test_only_the_customers_failed_questions_are_taken(session: AsyncSession) -> None:
    case = await make_case(session, owner="human")
    assert case.id is not None

    async def say(author: str, text: str, **kw: Any) -> None:
        direction = {"customer": Direction.INBOUND, "bot": Direction.OUTBOUND}.get(author)
        await make_message(
            session, case_id=case.id, author=author, direction=direction or "out", text=text, **kw
        )

    await say("customer", "Привет")
    await say("bot", "answer", reply_kind=ReplyKind.ANSWER)
    await say("customer", "  яйца   разбились ")
    await say("bot", "escalated", reply_kind=ReplyKind.ESCALATED)
    await say("customer", "", attachments=[{"type": "photo"}])
    await say("customer", "👍")
    await say("operator", "Оформлю возврат")
    await say("customer", "спасибо, а когда деньги?")
    assert await candidates.answered_question(session, case_id=case.id) == "яйца разбились"


async def test_without_bot_replies_the_last_question_counts_once(
    session: AsyncSession, kb: Any, people: dict[str, User]
) -> None:
    case = await make_case(session, owner="human")
    for text in ("Как вернуть товар?", "пакет  порвался", "Пакет порвался", "/human"):
        meta = MessageMeta(intent="human" if text == "/human" else None)
        await make_message(session, case_id=case.id, text=text, meta=meta)
    assert case.id is not None
    assert await candidates.answered_question(session, case_id=case.id) == "Пакет порвался"
    made = await candidates.propose_from_resolution(
        session, case_id=case.id, user=people["olga"], retriever=kb, entry_id="return-item"
    )
    assert [c.text for c in made] == ["Пакет порвался"]
    again = await candidates.propose_from_resolution(
        session, case_id=case.id, user=people["olga"], retriever=kb, entry_id="return-item"
    )
    assert again == []  # already proposed


async def test_add_entry_refuses_an_existing_id(kb: Any) -> None:
    with pytest.raises(InvalidTransition):
        await kb.add_entry(FaqEntry("return-item", ("x?",), "y"))
    with pytest.raises(InvalidInput):
        await kb.add_entry(FaqEntry("empty", (), "y"))
    assert kb.entry("empty") is None


async def test_approval_creates_the_row_only_when_missing(
    session: AsyncSession, kb: Any, people: dict[str, User]
) -> None:
    session.add(KnowledgeItem(id="return-item", questions=["How do I return an item?"], answer="a"))
    await session.commit()
    case = await make_case(session, owner="human")
    await make_message(session, case_id=case.id, text=ESCALATED, author=Author.CUSTOMER)
    assert case.id is not None
    [candidate] = await candidates.propose_from_resolution(
        session, case_id=case.id, user=people["olga"], retriever=kb, entry_id="return-item"
    )
    assert candidate.id is not None
    await review.approve_candidate(
        session, candidate_id=candidate.id, user=people["sveta"], retriever=kb
    )
    item = await session.get(KnowledgeItem, "return-item")
    assert item is not None and item.questions == ["How do I return an item?", ESCALATED]
    assert item.answer == "a"
