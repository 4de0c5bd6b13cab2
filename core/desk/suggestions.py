"""Suggestions for the operator on one case, without an LLM: the top 3 resolutions (similar
resolved cases and FAQ entries, with sources, scores and how those cases went), a reply draft
in the customer's language, the compensation the policy offers, and the customer's context.
Showing them and using one are recorded for the acceptance rate (``reports``).

Similar cases (other customers' coded cases, from the case memory) inform the resolution (its
code and outcome), never the draft; the customer's own past cases like this one are part of
their context:
the draft is built for this customer from the templates, the FAQ and their own data, and every
outgoing text passes ``leak_guard.guard`` against the customers of the cases cited.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases.lifecycle import get_case
from core.compensation import offers
from core.compensation.case_context import load_case_context
from core.compensation.policy import Offer
from core.customers.context import CaseContext, ChurnRisk, csat_history, promise_counts
from core.customers.personal import PersonalValues
from core.desk import drafts, leak_guard
from core.desk.case_memory import Recollection, remember_cases, similar_hits
from core.desk.past_cases import PastCase, candidates, rank_past_cases
from core.desk.similar_cases import Resolution, similar_resolutions
from core.errors import BackendUnavailable, InvalidInput
from core.grounding.draft import HISTORY, DraftComposition, compose_draft
from core.models import (
    Author,
    Compensation,
    Direction,
    Message,
    Promise,
    PromiseStatus,
    SuggestionUse,
    User,
)
from core.models.base import utcnow
from core.platform.auth import disclosure_for, require_case_access
from core.ports import Assistant, CrmConnector, Retriever
from core.privacy import Disclosure

TOP = 3
OPENING = 3
"""The customer's first messages, which say what a case is about."""
ACCEPT_KINDS = ("draft", "resolution", "compensation")


@dataclass(frozen=True, slots=True)
class CustomerContext:
    open_promises: list[Promise]
    promise_counts: dict[str, int]
    compensations: list[Compensation]
    csat: list[dict[str, Any]]
    churn: ChurnRisk
    orders: list[dict[str, Any]]
    past_cases: list[PastCase] = dataclasses.field(default_factory=list)
    """The customer's own past cases (ours and the CRM's) most like this one."""


@dataclass(frozen=True, slots=True)
class Suggestions:
    case_id: int
    language: str
    resolutions: list[Resolution]
    draft: str
    compensation: Offer | None
    compensation_note: str | None
    context: CustomerContext
    timings_ms: dict[str, float]
    disclosure: Disclosure
    """What the user may see of this customer's personal data (``auth.disclosure_for``)."""
    draft_composed_by: str | None = None
    """The language model that reworded the draft (``core.grounding.draft``), if any."""


async def suggest(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    retriever: Retriever | None,
    memory: Recollection | None = None,
    crm: CrmConnector | None = None,
    assistant: Assistant | None = None,
) -> Suggestions:
    """Suggestions for a case the user may act on; records that they were shown to the user.
    With an ``assistant`` the draft is reworded by it (``core.grounding.draft``).

    The database is read first and its connection handed back (``_release``) before the
    encoders and the vector store are asked: a request waiting for the model thread holds no
    pooled connection. The sources those searches cite are read afterwards."""
    clock = _Clock()
    loaded = await load_case_context(session, case_id=case_id, crm=crm, user=user)
    case, customer = loaded.case, loaded.customer
    said = await _customer_said(session, case_id)
    text = "\n".join(said[:OPENING])
    await _remember_recent(session, memory)
    mine = {}
    if memory is not None:  # the customer's own past cases, ranked once the session is free
        mine = await candidates(
            session, customer_id=loaded.customer_id, exclude=case_id, crm_cases=loaded.crm_cases
        )
    context = await _context(session, loaded)
    history = await _history(session, case_id) if assistant is not None else []
    await _release(session)
    clock.lap("load")
    hits = await similar_hits(memory, text, topic=case.topic, exclude=case_id)
    past = await rank_past_cases(memory, mine, text=text, customer_id=loaded.customer_id)
    clock.lap("similar_cases")
    from_faq, faq_language = await _faq_resolutions(retriever, text, customer.language)
    clock.lap("faq")
    similar = await similar_resolutions(session, hits, own_customer_id=loaded.customer_id)
    ranked = sorted(similar.resolutions + from_faq, key=lambda r: r.score, reverse=True)[:TOP]
    language = customer.language or faq_language or drafts.detect_language(text)
    offer, note = await _offer(session, loaded, user, language, "\n".join(said))
    await record_suggestions_shown(session, case_id=case_id, user_name=user.name)
    await _release(session)
    clock.lap("context")
    faq_answer = next((r.text for r in ranked if r.kind == "faq"), None)
    draft = drafts.render_draft(language=language, name=customer.name, body=faq_answer, offer=offer)
    own = similar.own or PersonalValues(loaded.customer_id, frozenset())
    composed = await _composed(draft, faq_answer, history, own.values, assistant)
    draft, ranked = _guarded(composed.text, ranked, others=similar.customers, own=own)
    clock.lap("draft")
    return Suggestions(
        case_id,
        language,
        ranked,
        draft,
        offer,
        note,
        dataclasses.replace(context, past_cases=past),
        clock.laps,
        disclosure_for(user, case),
        composed.composed_by,
    )


async def accept(
    session: AsyncSession, *, case_id: int, user: User, kind: str, ref: str | None = None
) -> SuggestionUse:
    """The operator used a suggestion: the draft, a resolution (``ref``: "faq:<entry>" or
    "cases:<code>") or the compensation offer (``ref``: the compensation id)."""
    if kind not in ACCEPT_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ACCEPT_KINDS)}")
    require_case_access(user, await get_case(session, case_id))
    used = f"{kind}:{ref}" if ref else kind
    return await record_suggestion_accepted(session, case_id=case_id, user_name=user.name, ref=used)


async def _composed(
    draft: str,
    faq_answer: str | None,
    history: list[tuple[str, str]],
    known: Iterable[str],
    assistant: Assistant | None,
) -> DraftComposition:
    if assistant is None:
        return DraftComposition(draft, "skipped")
    return await compose_draft(
        draft, faq_answer=faq_answer, history=history, assistant=assistant, known=known
    )


async def _history(session: AsyncSession, case_id: int) -> list[tuple[str, str]]:
    """The case's last ``HISTORY`` messages to and from the customer, oldest first."""
    stmt = (
        select(Message.author, Message.text)
        .where(Message.case_id == case_id, Message.direction != Direction.INTERNAL)
        .order_by(col(Message.id).desc())
        .limit(HISTORY)
    )
    return [(str(a), t) for a, t in reversed((await session.exec(stmt)).all()) if t]


async def _release(session: AsyncSession) -> None:
    """End the session's transaction (nothing is written: it only read), which hands its
    connection back to the pool; the loaded rows stay usable (no expiry on commit) and the next
    statement takes a connection again."""
    await session.commit()


async def _customer_said(session: AsyncSession, case_id: int) -> list[str]:
    """What the customer wrote on the case, oldest first: the first ``OPENING`` messages are
    what it is about (the similar cases and the FAQ), all of them what the offer reads."""
    stmt = (
        select(Message.text)
        .where(Message.case_id == case_id, Message.author == Author.CUSTOMER)
        .order_by(col(Message.id))
    )
    return list((await session.exec(stmt)).all())


async def _faq_resolutions(
    retriever: Retriever | None, text: str, language: str | None
) -> tuple[list[Resolution], str | None]:
    if retriever is None or not text.strip():
        return [], None
    try:
        answer = await retriever.ask(text, language=language)
    except BackendUnavailable:
        return [], None
    out = []
    for cand in answer.candidates[:TOP]:
        entry = retriever.entry(cand.entry_id)
        body = entry.answer_in(language or answer.language) if entry else cand.answer
        source = {"kind": "faq", "ref": cand.entry_id, "score": cand.score}
        out.append(Resolution("faq", cand.question, body, round(cand.score, 4), [source]))
    if not out and answer.entry_id:
        source = {"kind": "faq", "ref": answer.entry_id, "score": answer.confidence}
        out.append(Resolution("faq", answer.entry_id, answer.text, answer.confidence, [source]))
    return out, answer.language


def _guarded(
    draft: str, ranked: list[Resolution], *, others: list[PersonalValues], own: PersonalValues
) -> tuple[str, list[Resolution]]:
    """The draft and resolutions with no personal value of the cited cases' customers."""
    check = leak_guard.Guard(others=others, own=own).guard

    resolutions = [
        dataclasses.replace(
            r, title=check(r.title), text=check(r.text), code=check(r.code) if r.code else None
        )
        for r in ranked
    ]
    return check(draft), resolutions


async def _remember_recent(session: AsyncSession, memory: Recollection | None) -> None:
    """Cases resolved since the last pass, so one resolved a minute ago is already cited."""
    if memory is not None:
        # unreachable: similar_hits says so, and the suggestions go on without them
        with contextlib.suppress(BackendUnavailable):
            await remember_cases(session, recollection=memory, recent_only=True)


async def _context(session: AsyncSession, loaded: CaseContext) -> CustomerContext:
    """The customer's context, but their own past cases (ranked once the session is free)."""
    customer_id = loaded.customer_id
    promises_stmt = select(Promise).where(
        Promise.customer_id == customer_id, Promise.status == PromiseStatus.OPEN
    )
    comps = await offers.list_compensations(session, customer_id=customer_id, limit=20)
    return CustomerContext(
        open_promises=list((await session.exec(promises_stmt.order_by(col(Promise.due_at)))).all()),
        promise_counts=await promise_counts(session, customer_id=customer_id),
        compensations=comps,
        csat=csat_history(loaded.customer),
        churn=loaded.churn,
        orders=loaded.orders,
    )


async def _offer(
    session: AsyncSession, loaded: CaseContext, user: User, language: str, said: str
) -> tuple[Offer | None, str | None]:
    try:
        proposal = await offers.propose(
            session, context=loaded, user=user, language=language, customer_text=said
        )
    except InvalidInput as exc:
        return None, str(exc)
    return proposal.offer, None


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round((now - self.last) * 1000, 2)
        self.laps["total"] = round((now - self.start) * 1000, 2)
        self.last = now


async def record_suggestions_shown(
    session: AsyncSession, *, case_id: int, user_name: str, now: datetime | None = None
) -> SuggestionUse:
    """Suggestions were shown to ``user_name`` on the case (once per case and user)."""
    stmt = select(SuggestionUse).where(
        col(SuggestionUse.case_id) == case_id, col(SuggestionUse.user_name) == user_name
    )
    row = (await session.exec(stmt)).first()
    if row is None:
        row = SuggestionUse(case_id=case_id, user_name=user_name, shown_at=now or utcnow())
        session.add(row)
        await session.commit()
    return row


async def record_suggestion_accepted(
    session: AsyncSession,
    *,
    case_id: int,
    user_name: str,
    ref: str = "draft",
    now: datetime | None = None,
) -> SuggestionUse:
    """The operator used a suggestion (the draft, an FAQ answer, a similar case's resolution)."""
    row = await record_suggestions_shown(session, case_id=case_id, user_name=user_name, now=now)
    if row.accepted_at is None:
        row.accepted_at = now or utcnow()
        row.ref = ref[:200]
        session.add(row)
        await session.commit()
    return row
