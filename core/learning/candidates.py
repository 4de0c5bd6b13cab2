"""The knowledge base learns from operators.

When an operator resolves a case and links it to a knowledge entry, the customer's own words --
the inbound messages they wrote before a person stepped in -- become *candidate* phrasings of
that entry. An operator may instead write a new entry (question and answer) from the case. A
supervisor approves or rejects each candidate (``candidate_review``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.conversation.replies import classify_content
from core.domain import FaqEntry
from core.errors import EntryNotFound, InvalidInput
from core.models import (
    Author,
    CandidateStatus,
    Customer,
    Direction,
    KnowledgeCandidate,
    KnowledgeItem,
    Message,
    ReplyKind,
    User,
)
from core.ports import Retriever

MAX_PHRASINGS = 3
"""At most this many customer messages of one case become candidates."""
FAILED_REPLIES = (ReplyKind.ESCALATED, ReplyKind.CLARIFY)
"""Bot replies that show the knowledge base did not answer the message before them."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry an operator wrote from a case."""

    question: str
    answer: str


def normalize(text: str) -> str:
    return " ".join((text or "").split())


def phrasing_key(text: str) -> str:
    return normalize(text).casefold()


async def known_entry(
    session: AsyncSession, *, entry_id: str, retriever: Retriever | None
) -> FaqEntry | None:
    """The entry as the knowledge base serves it; raises EntryNotFound when it has none."""
    if retriever is not None:
        entry = retriever.entry(entry_id)
        if entry is None:
            raise EntryNotFound(entry_id)
        return entry
    if await session.get(KnowledgeItem, entry_id) is None:
        raise EntryNotFound(entry_id)
    return None


async def customer_questions(session: AsyncSession, *, case_id: int) -> list[str]:
    """What the customer asked: usable inbound texts before the first operator message.

    When the bot failed on some of them (escalated or asked to clarify), only those count.
    Attachment-only, emoji-only, edited, button and over-long messages are skipped.
    """
    stmt = (
        select(Message)
        .where(Message.case_id == case_id, col(Message.direction) != Direction.INTERNAL)
        .order_by(col(Message.created_at), col(Message.id))
    )
    asked: list[str] = []
    failed: list[str] = []
    last: str | None = None
    for message in (await session.exec(stmt)).all():
        if message.author == Author.OPERATOR:
            break
        if message.author == Author.BOT:
            if last is not None and message.reply_kind in FAILED_REPLIES:
                failed.append(last)
            last = None
            continue
        last = _usable(message)
        if last is not None:
            asked.append(last)
    chosen = failed or asked
    return list({phrasing_key(t): t for t in reversed(chosen)}.values())[::-1][:MAX_PHRASINGS]


def _usable(message: Message) -> str | None:
    if message.direction != Direction.INBOUND or message.author != Author.CUSTOMER:
        return None
    meta = message.meta
    if meta.edited or meta.intent or meta.via:
        return None
    text = normalize(message.text)
    if classify_content(text) is not None:  # empty, too long or emoji only
        return None
    return text


async def propose_from_resolution(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    retriever: Retriever | None = None,
    entry_id: str | None = None,
    new_entry: NewEntry | None = None,
) -> list[KnowledgeCandidate]:
    """Candidates from a resolved case: phrasings of ``entry_id``, or one ``new_entry``."""
    if (entry_id is None) == (new_entry is None):
        raise InvalidInput("give either a knowledge entry id or a new entry, not both")
    case = await lifecycle.get_case(session, case_id)
    texts = await customer_questions(session, case_id=case_id)
    customer = await session.get(Customer, case.customer_id)
    language = customer.language if customer is not None else None
    if new_entry is not None:
        return [await _propose_entry(session, case_id, user, new_entry, texts, language)]
    assert entry_id is not None
    entry = await known_entry(session, entry_id=entry_id, retriever=retriever)
    seen = {phrasing_key(q) for q in (entry.questions if entry is not None else ())}
    seen |= await _pending_texts(session, entry_id)
    made = []
    for text in texts:
        if phrasing_key(text) in seen:
            continue
        seen.add(phrasing_key(text))
        made.append(_candidate(case_id, entry_id, text, user, language))
    session.add_all(made)
    await session.commit()
    return made


async def _propose_entry(
    session: AsyncSession,
    case_id: int,
    user: User,
    new_entry: NewEntry,
    texts: Sequence[str],
    language: str | None,
) -> KnowledgeCandidate:
    question, answer = normalize(new_entry.question), new_entry.answer.strip()
    if not question or not answer:
        raise InvalidInput("a new entry needs a question and an answer")
    candidate = _candidate(case_id, await _new_entry_id(session, case_id), "", user, language)
    candidate.text = texts[0] if texts else question
    candidate.new_entry_question = question
    candidate.new_entry_answer = answer
    session.add(candidate)
    await session.commit()
    return candidate


def _candidate(
    case_id: int, entry_id: str, text: str, user: User, language: str | None
) -> KnowledgeCandidate:
    return KnowledgeCandidate(
        case_id=case_id, entry_id=entry_id, text=text, proposed_by=user.name, language=language
    )


async def _pending_texts(session: AsyncSession, entry_id: str) -> set[str]:
    stmt = select(KnowledgeCandidate.text).where(
        KnowledgeCandidate.entry_id == entry_id,
        col(KnowledgeCandidate.status).in_((CandidateStatus.PROPOSED, CandidateStatus.APPROVED)),
    )
    return {phrasing_key(t) for t in (await session.exec(stmt)).all()}


async def _new_entry_id(session: AsyncSession, case_id: int) -> str:
    base = f"case-{case_id}"
    stmt = select(KnowledgeCandidate.entry_id).where(
        col(KnowledgeCandidate.entry_id).startswith(base)
    )
    taken = set((await session.exec(stmt)).all())
    n = 1
    while (entry_id := base if n == 1 else f"{base}-{n}") in taken:
        n += 1
    return entry_id
