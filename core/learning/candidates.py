"""The knowledge base learns from operators.

When an operator resolves a case and links it to a knowledge entry, the customer message that
the resolution answered becomes a *candidate* phrasing of that entry: the one the bot failed
on (escalated or asked to clarify), else the last one before a person stepped in; the operator
may pick another message of the case or edit the words (``PhrasingChoice``). An operator may
instead write a new entry (question and answer) from the case. The customer's words are masked
(``core.privacy``, with the customer's known name and identities) before anyone reviews them.
A supervisor approves or rejects each candidate (``review``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import privacy
from core.cases import lifecycle
from core.conversation.replies import classify_content
from core.customers.personal import personal_values
from core.domain import FaqEntry
from core.errors import EntryNotFound, InvalidInput, NotFound
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

FAILED_REPLIES = (ReplyKind.ESCALATED, ReplyKind.CLARIFY)
"""Bot replies that show the knowledge base did not answer the message before them."""
UNANSWERED_REPLIES = (ReplyKind.QUEUED, ReplyKind.ALREADY_QUEUED)
"""Bot replies that leave the message before them for a person."""


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry an operator wrote from a case."""

    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class PhrasingChoice:
    """The operator's choice of the phrasing: a customer message of the case, or their own
    words (an edit); neither: the message the resolution answered (``answered_question``)."""

    message_id: int | None = None
    text: str | None = None


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


async def answered_question(
    session: AsyncSession, *, case_id: int, entry_id: str | None = None
) -> str | None:
    """The customer message a person answered with ``entry_id`` (or a new entry), from the
    messages before the first operator message: the last one the bot failed on (escalated or
    asked to clarify), else the last one it left unanswered, else the last one it answered with
    another entry (a wrong answer). One the bot answered with ``entry_id`` needs no learning;
    attachment-only, emoji-only, edited, button and over-long messages are skipped."""
    stmt = (
        select(Message)
        .where(Message.case_id == case_id, col(Message.direction) != Direction.INTERNAL)
        .order_by(col(Message.created_at), col(Message.id))
    )
    tiers: dict[str, list[str]] = {"failed": [], "unanswered": [], "other": []}
    last: str | None = None
    for message in (await session.exec(stmt)).all():
        if message.author == Author.OPERATOR:
            break
        if message.author == Author.BOT:
            if last is not None and (tier := _tier(message, entry_id)) is not None:
                tiers[tier].append(last)
            last = None
            continue
        text = _usable(message)
        if text is not None:
            if last is not None:
                tiers["unanswered"].append(last)
            last = text
    if last is not None:
        tiers["unanswered"].append(last)
    chosen = tiers["failed"] or tiers["unanswered"] or tiers["other"]
    return chosen[-1] if chosen else None


def _tier(reply: Message, entry_id: str | None) -> str | None:
    """How the bot's ``reply`` left the message before it (None: answered with the entry)."""
    if reply.reply_kind in FAILED_REPLIES:
        return "failed"
    if reply.reply_kind in UNANSWERED_REPLIES:
        return "unanswered"
    if reply.reply_kind == ReplyKind.ANSWER and reply.entry_id == entry_id:
        return None
    return "other"


async def chosen_question(
    session: AsyncSession,
    *,
    case_id: int,
    entry_id: str | None = None,
    choice: PhrasingChoice | None = None,
) -> str | None:
    """The phrasing the operator chose (a message of the case, or edited words), else the
    message the resolution answered."""
    if choice is None or (choice.message_id is None and choice.text is None):
        return await answered_question(session, case_id=case_id, entry_id=entry_id)
    if choice.text is not None:
        text = normalize(choice.text)
        if not text:
            raise InvalidInput("the phrasing is empty")
        return text
    message = await session.get(Message, choice.message_id)
    if message is None or message.case_id != case_id or message.author != Author.CUSTOMER:
        raise NotFound("customer message of this case", choice.message_id)
    return normalize(message.text) or None


async def known_values(session: AsyncSession, customer: Customer | None) -> list[str]:
    """What the system knows about a customer that must not leave their case: the personal
    values of ``core.customers.personal`` (names and their parts, identities, order numbers
    from the record and the CRM, addresses, issued promo codes) and any short text attribute."""
    if customer is None or customer.id is None:
        return []
    values = [v for v in customer.attributes.values() if isinstance(v, str) and len(v) <= 200]
    values += (await personal_values(session, [customer.id]))[customer.id].values
    return [v for v in values if v]


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
    choice: PhrasingChoice | None = None,
    region: str = "RU",
) -> list[KnowledgeCandidate]:
    """A candidate from a resolved case: a phrasing of ``entry_id``, or one ``new_entry``.
    The phrasing is masked (``region``: for phone numbers written without a country code)."""
    if (entry_id is None) == (new_entry is None):
        raise InvalidInput("give either a knowledge entry id or a new entry, not both")
    case = await lifecycle.get_case(session, case_id)
    text = await chosen_question(session, case_id=case_id, entry_id=entry_id, choice=choice)
    customer = await session.get(Customer, case.customer_id)
    if text is not None:
        known = await known_values(session, customer)
        text = normalize(privacy.mask(text, region=region, known=known))
    language = customer.language if customer is not None else None
    if new_entry is not None:
        return [await _propose_entry(session, case_id, user, new_entry, text, language)]
    assert entry_id is not None
    entry = await known_entry(session, entry_id=entry_id, retriever=retriever)
    seen = {phrasing_key(q) for q in (entry.questions if entry is not None else ())}
    seen |= await _pending_texts(session, entry_id)
    if text is None or phrasing_key(text) in seen:
        return []
    made = _candidate(case_id, entry_id, text, user, language)
    session.add(made)
    await session.commit()
    return [made]


async def _propose_entry(
    session: AsyncSession,
    case_id: int,
    user: User,
    new_entry: NewEntry,
    text: str | None,
    language: str | None,
) -> KnowledgeCandidate:
    question, answer = normalize(new_entry.question), new_entry.answer.strip()
    if not question or not answer:
        raise InvalidInput("a new entry needs a question and an answer")
    candidate = _candidate(case_id, await _new_entry_id(session, case_id), "", user, language)
    candidate.text = text or question
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
