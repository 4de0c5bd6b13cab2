"""Learning from resolutions without harm: the candidate is the message the resolution
answered (or the operator's pick or edit), masked before review; a phrasing with personal data
or one that would change the knowledge base's answers is refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import FIXTURE_FAQ, kb_settings, make_case, make_customer, make_message
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import AnswersWouldChange, NotFound, PersonalData
from core.learning import candidates, review
from core.models import (
    Author,
    CandidateStatus,
    Direction,
    KnowledgeCandidate,
    KnowledgeItem,
    KnowledgeVersion,
    ReplyKind,
    User,
)
from core.platform import auth


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[Any]:
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    with build_knowledge(kb_settings(tmp_path / "kb")) as base:
        base.ingest_sync(load_sources([FIXTURE_FAQ]))
        yield base


async def _people(session: AsyncSession) -> tuple[User, User]:
    olga, _ = await auth.create_user(session, name="olga", role="operator")
    sveta, _ = await auth.create_user(session, name="sveta", role="supervisor")
    return olga, sveta


async def _conversation(session: AsyncSession, case_id: int, *turns: tuple[str, str]) -> None:
    """(author, text) turns; a bot turn's text is its reply kind (and ``:entry`` answered)."""
    for author, text in turns:
        if author == "bot":
            kind, _, entry = text.partition(":")
            await make_message(
                session,
                case_id=case_id,
                author=Author.BOT,
                direction=Direction.OUTBOUND,
                text="…",
                reply_kind=ReplyKind(kind),
                entry_id=entry or None,
            )
        elif author == "operator":
            await make_message(
                session,
                case_id=case_id,
                author=Author.OPERATOR,
                direction=Direction.OUTBOUND,
                text=text,
            )
        else:
            await make_message(session, case_id=case_id, text=text)


async def test_the_candidate_is_the_message_the_resolution_answered(
    any_session: AsyncSession,
) -> None:
    any_session.add(KnowledgeItem(id="return-item", questions=["How do I return an item?"]))
    await any_session.commit()
    olga, _ = await _people(any_session)
    case = await make_case(any_session, owner="human")
    assert case.id is not None
    await _conversation(
        any_session,
        case.id,
        ("customer", "How long does delivery take?"),  # the bot answered it: something else
        ("bot", "answer:delivery-time"),
        ("customer", "the parcel came torn, I want to send it back"),
        ("bot", "queued"),
        ("operator", "I have opened a return for you"),
        ("customer", "thanks! and when do I get the money?"),
    )
    made = await candidates.propose_from_resolution(
        any_session, case_id=case.id, user=olga, entry_id="return-item"
    )
    assert [c.text for c in made] == ["the parcel came torn, I want to send it back"]

    wrong = await make_case(any_session, owner="human")  # the bot answered with another entry
    right = await make_case(any_session, owner="human")  # ... or with the linked one already
    assert wrong.id is not None and right.id is not None
    await _conversation(
        any_session, wrong.id, ("customer", "can I send it back"), ("bot", "answer:x")
    )
    await _conversation(
        any_session, right.id, ("customer", "can I return it"), ("bot", "answer:return-item")
    )
    asked = candidates.answered_question
    assert (
        await asked(any_session, case_id=wrong.id, entry_id="return-item") == "can I send it back"
    )
    assert await asked(any_session, case_id=right.id, entry_id="return-item") is None


async def test_the_operator_picks_or_edits_the_phrasing_and_it_is_masked(
    any_session: AsyncSession,
) -> None:
    any_session.add(KnowledgeItem(id="return-item", questions=["How do I return an item?"]))
    await any_session.commit()
    olga, _ = await _people(any_session)
    customer = await make_customer(
        any_session, name="Anna Ivanova", telegram_id="777001", attributes={"city": "Kazan"}
    )
    case = await make_case(any_session, customer_id=customer.id, owner="human")
    assert case.id is not None
    picked = await make_message(
        any_session,
        case_id=case.id,
        text="Anna here, +7 912 345-67-89, Kazan: how do I return the blender?",
    )
    await make_message(any_session, case_id=case.id, text="hello??")

    [first] = await candidates.propose_from_resolution(
        any_session,
        case_id=case.id,
        user=olga,
        entry_id="return-item",
        choice=candidates.PhrasingChoice(message_id=picked.id),
    )
    assert first.text == "[personal] here, [phone], [personal]: how do I return the blender?"
    [edited] = await candidates.propose_from_resolution(
        any_session,
        case_id=case.id,
        user=olga,
        entry_id="return-item",
        choice=candidates.PhrasingChoice(text="Ivanova asks: can I return a blender?"),
    )
    assert edited.text == "[personal] asks: can I return a blender?"
    other = await make_message(any_session, text="not this case")
    with pytest.raises(NotFound):
        await candidates.propose_from_resolution(
            any_session,
            case_id=case.id,
            user=olga,
            entry_id="return-item",
            choice=candidates.PhrasingChoice(message_id=other.id),
        )


async def test_a_phrasing_with_personal_data_cannot_be_approved(
    session: AsyncSession, kb: Any
) -> None:
    _, sveta = await _people(session)
    customer = await make_customer(session, name="Anna Ivanova", telegram_id="777002")
    case = await make_case(session, customer_id=customer.id, owner="human")
    assert case.id is not None
    raw = KnowledgeCandidate(  # e.g. proposed before candidates were masked
        case_id=case.id,
        entry_id="return-item",
        text="Anna: return, call +79123456789",
        proposed_by="x",
    )
    session.add(raw)
    await session.commit()
    assert raw.id is not None
    with pytest.raises(PersonalData, match="personal, phone"):
        await review.approve_candidate(session, candidate_id=raw.id, user=sveta, retriever=kb)
    assert (await session.get(KnowledgeCandidate, raw.id)).status == CandidateStatus.PROPOSED  # type: ignore[union-attr]
    assert (await session.exec(select(KnowledgeVersion))).all() == []  # nothing was learned
    learned = kb.index.collection("questions").get(where={"kind": "learned"})["ids"]
    assert learned == []


async def test_a_phrasing_that_would_change_the_answers_is_refused_before_it_is_applied(
    session: AsyncSession, kb: Any
) -> None:
    _, sveta = await _people(session)
    case = await make_case(session, owner="human")
    assert case.id is not None
    stolen = "How much does delivery cost?"  # delivery-cost's own question
    before = await kb.ask(stolen)
    assert (before.decision, before.entry_id) == ("answer", "delivery-cost")
    check = await kb.check_phrasing("return-item", stolen)
    assert not check.safe and check.answered_by != "return-item"

    wrong = KnowledgeCandidate(
        case_id=case.id, entry_id="return-item", text=stolen, proposed_by="olga"
    )
    session.add(wrong)
    await session.commit()
    assert wrong.id is not None
    with pytest.raises(AnswersWouldChange, match="How much does delivery cost"):
        await review.approve_candidate(session, candidate_id=wrong.id, user=sveta, retriever=kb)
    after = await kb.ask(stolen)
    assert (after.decision, after.entry_id) == ("answer", "delivery-cost")
    assert (await session.exec(select(KnowledgeVersion))).all() == []

    fine = "the parcel came torn, I want to send it back"
    assert (await kb.check_phrasing("return-item", fine)).safe
    assert (await kb.ask(fine)).entry_id != "return-item"  # a check writes nothing
    good = KnowledgeCandidate(case_id=case.id, entry_id="return-item", text=fine, proposed_by="o")
    session.add(good)
    await session.commit()
    assert good.id is not None
    await review.approve_candidate(session, candidate_id=good.id, user=sveta, retriever=kb)
    assert (await kb.ask(fine)).entry_id == "return-item"
    for question in kb.entry("return-item").questions:
        assert (await kb.ask(question)).entry_id == "return-item"


async def test_candidates_are_reviewed_with_their_nearest_entries(
    session: AsyncSession, kb: Any
) -> None:
    case = await make_case(session, owner="human")
    assert case.id is not None
    session.add(
        KnowledgeCandidate(
            case_id=case.id,
            entry_id="return-item",
            text="can I send the kettle back",
            proposed_by="o",
        )
    )
    await session.commit()
    [reviewed] = await review.review_candidates(session, retriever=kb)
    assert 1 <= len(reviewed.nearest) <= 3
    assert "return-item" in {c.entry_id for c in reviewed.nearest}
    assert all(c.question in kb.entry(c.entry_id).questions for c in reviewed.nearest)


async def test_crm_order_numbers_and_card_numbers_never_reach_a_phrasing(
    any_session: AsyncSession,
) -> None:
    from core.models import CustomerOrder

    any_session.add(KnowledgeItem(id="return-item", questions=["How do I return an item?"]))
    await any_session.commit()
    olga, _ = await _people(any_session)
    customer = await make_customer(any_session, name="Anna Ivanova", telegram_id="777003")
    assert customer.id is not None
    any_session.add(
        CustomerOrder(customer_id=customer.id, source="crm", external_id="9", number="SO-88412")
    )
    case = await make_case(any_session, customer_id=customer.id, owner="human")
    assert case.id is not None
    picked = await make_message(
        any_session,
        case_id=case.id,
        text="return SO-88412 paid with 4111 1111 1111 1111, passport 4506 123456?",
    )
    [made] = await candidates.propose_from_resolution(
        any_session,
        case_id=case.id,
        user=olga,
        entry_id="return-item",
        choice=candidates.PhrasingChoice(message_id=picked.id),
    )
    assert made.text == "return [personal] paid with •••• 1111, passport [passport]?"
