"""Supervisors review the knowledge candidates ``learning`` proposes, each shown with its
nearest existing entries. An approved one is indexed through the ``Retriever`` at once
(``add_phrasing`` / ``add_entry``), so the same message is answered by the bot next time, and
the ``knowledge_item`` rows (the system of record) are updated too.

Approval refuses a phrasing that holds personal data (``PersonalData``), and a phrasing that
would change what the knowledge base answers: it must be answered by its entry, and the
entry's own phrasings (and its neighbours') must keep their answers (``AnswersWouldChange``,
checked by ``Retriever.check_phrasing`` before anything is written).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import privacy
from core.domain import Candidate, FaqEntry
from core.errors import AnswersWouldChange, EntryNotFound, InvalidTransition, NotFound, PersonalData
from core.learning.candidates import known_entry, known_values, phrasing_key
from core.learning.items import entry_hash
from core.learning.version import record_change
from core.models import CandidateStatus, Case, Customer, KnowledgeCandidate, KnowledgeItem, User
from core.models.base import utcnow
from core.platform import auth
from core.ports import Retriever

NEAREST = 3


@dataclass(frozen=True, slots=True)
class CandidateReview:
    """A candidate as a supervisor reviews it: with the entries nearest to its words."""

    candidate: KnowledgeCandidate
    nearest: tuple[Candidate, ...]


async def review_candidates(
    session: AsyncSession,
    *,
    retriever: Retriever | None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[CandidateReview]:
    """Candidates, oldest first; the proposed ones with their nearest existing entries."""
    rows = await list_candidates(session, status=status, limit=limit, offset=offset)
    reviews = []
    for candidate in rows:
        nearest: tuple[Candidate, ...] = ()
        if retriever is not None and candidate.status == CandidateStatus.PROPOSED:
            nearest = (await retriever.ask(candidate.text)).candidates[:NEAREST]
        reviews.append(CandidateReview(candidate, nearest))
    return reviews


async def approve_candidate(
    session: AsyncSession,
    *,
    candidate_id: int,
    user: User,
    retriever: Retriever,
    region: str = "RU",
) -> KnowledgeCandidate:
    """Supervisors only. Refuses personal data and a phrasing that would change the answers;
    indexes the phrasing (or the new entry) at once, then records it."""
    candidate = await _decidable(session, candidate_id, user)
    await _refuse_personal_data(session, candidate, region)
    if candidate.is_new_entry:
        entry = _entry_of(candidate)
        existing = retriever.entry(entry.id)
        if existing is None:
            await retriever.add_entry(entry)
        elif existing.answer != entry.answer:
            raise InvalidTransition(f"knowledge entry {entry.id!r} already exists")
        await _record_entry(session, entry)
        await record_change(session, reason="entry", detail=entry.id)
    else:
        served = await known_entry(session, entry_id=candidate.entry_id, retriever=retriever)
        check = await retriever.check_phrasing(candidate.entry_id, candidate.text)
        if not check.safe:
            raise AnswersWouldChange(f"approving it would change the answers: {check.reason()}")
        await retriever.add_phrasing(candidate.entry_id, candidate.text)
        await _record_phrasing(session, candidate, served)
        await record_change(session, reason="phrasing", detail=candidate.entry_id)
    return await _decide(session, candidate, user, CandidateStatus.APPROVED, None)


async def reject_candidate(
    session: AsyncSession, *, candidate_id: int, user: User, note: str | None = None
) -> KnowledgeCandidate:
    candidate = await _decidable(session, candidate_id, user)
    return await _decide(session, candidate, user, CandidateStatus.REJECTED, note)


async def list_candidates(
    session: AsyncSession, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[KnowledgeCandidate]:
    """Candidates, oldest first."""
    stmt = select(KnowledgeCandidate)
    if status:
        stmt = stmt.where(KnowledgeCandidate.status == status)
    stmt = stmt.order_by(col(KnowledgeCandidate.created_at), col(KnowledgeCandidate.id))
    return list((await session.exec(stmt.offset(offset).limit(limit))).all())


async def get_candidate(
    session: AsyncSession, candidate_id: int, *, lock: bool = False
) -> KnowledgeCandidate:
    stmt = select(KnowledgeCandidate).where(KnowledgeCandidate.id == candidate_id)
    if lock:
        stmt = stmt.with_for_update()
    candidate = (await session.exec(stmt.execution_options(populate_existing=True))).first()
    if candidate is None:
        raise NotFound("knowledge candidate", candidate_id)
    return candidate


async def _decidable(session: AsyncSession, candidate_id: int, user: User) -> KnowledgeCandidate:
    auth.require_role(user, auth.SUPERVISING)
    candidate = await get_candidate(session, candidate_id, lock=True)
    if candidate.status != CandidateStatus.PROPOSED:
        raise InvalidTransition(f"candidate {candidate_id} is already {candidate.status}")
    return candidate


async def _refuse_personal_data(
    session: AsyncSession, candidate: KnowledgeCandidate, region: str
) -> None:
    case = await session.get(Case, candidate.case_id)
    customer = await session.get(Customer, case.customer_id) if case is not None else None
    known = await known_values(session, customer)
    for text in (candidate.text, candidate.new_entry_question or ""):
        kinds = sorted({s.kind.value for s in privacy.find_pii(text, region=region, known=known)})
        if kinds:
            raise PersonalData(
                f"candidate {candidate.id} holds personal data ({', '.join(kinds)}):"
                " edit it out or reject it"
            )


async def _decide(
    session: AsyncSession,
    candidate: KnowledgeCandidate,
    user: User,
    status: CandidateStatus,
    note: str | None,
) -> KnowledgeCandidate:
    candidate.status = status
    candidate.decided_by = user.name
    candidate.decided_at = utcnow()
    candidate.note = note
    session.add(candidate)
    await session.commit()
    return candidate


def _entry_of(candidate: KnowledgeCandidate) -> FaqEntry:
    question = candidate.new_entry_question or candidate.text
    questions = {phrasing_key(q): q for q in (question, candidate.text) if q}
    return FaqEntry(
        id=candidate.entry_id,
        questions=tuple(questions.values()),
        answer=candidate.new_entry_answer or "",
        language=candidate.language,
        source=f"case:{candidate.case_id}",
    )


async def _record_entry(session: AsyncSession, entry: FaqEntry) -> KnowledgeItem:
    item = await session.get(KnowledgeItem, entry.id) or KnowledgeItem(id=entry.id)
    item.questions = list(entry.questions)
    item.answer = entry.answer
    item.language = entry.language
    item.translations = dict(entry.translations)
    item.source = entry.source
    item.content_hash = entry_hash(entry)
    item.updated_at = utcnow()
    session.add(item)
    return item


async def _record_phrasing(
    session: AsyncSession, candidate: KnowledgeCandidate, entry: FaqEntry | None
) -> None:
    """Add the phrasing to the entry's row (made from the KB's entry when it has none).

    ``content_hash`` keeps describing the source entry, so a re-ingest of an unchanged FAQ file
    leaves the learned phrasing in place.
    """
    item = await session.get(KnowledgeItem, candidate.entry_id)
    if item is None:
        if entry is None:
            raise EntryNotFound(candidate.entry_id)
        item = await _record_entry(session, entry)
    if phrasing_key(candidate.text) not in {phrasing_key(q) for q in item.questions}:
        item.questions = [*item.questions, candidate.text]
        item.updated_at = utcnow()
        session.add(item)
