"""Suggestions for the operator on one case, without an LLM: the top 3 resolutions (similar
resolved cases and FAQ entries, with sources, scores and how those cases went), a reply draft
in the customer's language, the compensation the policy offers, and the customer's context.
Showing them and using one are recorded for the acceptance rate (``reports``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases.lifecycle import get_case
from core.compensation import offers
from core.compensation.case_context import load_case_context
from core.compensation.policy import Offer
from core.customers.context import CaseContext, ChurnRisk, csat_history, promise_counts
from core.desk import drafts
from core.desk.case_index import CaseIndex, Hit
from core.errors import BackendUnavailable, InvalidInput
from core.models import (
    Author,
    Case,
    Compensation,
    Message,
    Promise,
    PromiseStatus,
    SuggestionUse,
    User,
)
from core.models.base import utcnow
from core.platform.auth import require_case_access
from core.ports import CrmConnector, Retriever

TOP = 3
ACCEPT_KINDS = ("draft", "resolution", "compensation")


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: str
    """"cases" (how similar resolved cases were resolved) or "faq" (a knowledge entry)."""
    title: str
    text: str
    score: float
    sources: list[dict[str, Any]]
    code: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CustomerContext:
    open_promises: list[Promise]
    promise_counts: dict[str, int]
    compensations: list[Compensation]
    csat: list[dict[str, Any]]
    churn: ChurnRisk
    orders: list[dict[str, Any]]


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


async def suggest(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    retriever: Retriever | None,
    index: CaseIndex,
    crm: CrmConnector | None = None,
) -> Suggestions:
    """Suggestions for a case the user may act on; records that they were shown to the user."""
    clock = _Clock()
    loaded = await load_case_context(session, case_id=case_id, crm=crm, user=user)
    case, customer = loaded.case, loaded.customer
    text = await _opening_text(session, case_id)
    await index.refresh(session)
    clock.lap("load")
    hits = index.search(text, topic=case.topic, exclude=case_id)
    from_cases = await _case_resolutions(session, hits)
    clock.lap("similar_cases")
    from_faq, faq_language = await _faq_resolutions(retriever, text, customer.language)
    clock.lap("faq")
    ranked = sorted(from_cases + from_faq, key=lambda r: r.score, reverse=True)[:TOP]
    context = await _context(session, loaded)
    offer, note = await _offer(session, loaded, user)
    clock.lap("context")
    language = customer.language or faq_language or drafts.detect_language(text)
    best_reply = await _reply_text(session, ranked[0]) if ranked else None
    draft = drafts.render_draft(language=language, name=customer.name, body=best_reply, offer=offer)
    clock.lap("draft")
    await record_suggestions_shown(session, case_id=case_id, user_name=user.name)
    return Suggestions(case_id, language, ranked, draft, offer, note, context, clock.laps)


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


async def _opening_text(session: AsyncSession, case_id: int) -> str:
    stmt = (
        select(Message.text)
        .where(Message.case_id == case_id, Message.author == Author.CUSTOMER)
        .order_by(col(Message.id))
        .limit(3)
    )
    return "\n".join((await session.exec(stmt)).all())


async def _case_resolutions(session: AsyncSession, hits: list[Hit]) -> list[Resolution]:
    groups: dict[str, list[Hit]] = defaultdict(list)
    for hit in hits:
        key = hit.resolution_code or (hit.resolution or "")[:80]
        if key:
            groups[key].append(hit)
    if not groups:
        return []
    ids = [h.case_id for group in groups.values() for h in group[:5]]
    rows = (await session.exec(select(Case).where(col(Case.id).in_(ids)))).all()
    reopened = {c.id: c.reopen_count for c in rows}
    out = []
    for code, group in groups.items():
        best = group[0]
        sample = group[:5]
        out.append(
            Resolution(
                kind="cases",
                title=f"{len(group)} similar resolved case(s): {best.resolution_code or code}",
                text=best.resolution or "",
                score=round(best.score * min(1.0, 0.8 + 0.05 * len(group)), 4),
                code=best.resolution_code,
                sources=[{"kind": "case", "ref": h.case_id, "score": h.score} for h in sample],
                outcome={
                    "cases": len(group),
                    "reopened": sum(1 for h in sample if reopened.get(h.case_id)),
                    "checked": len(sample),
                },
            )
        )
    return out


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


async def _reply_text(session: AsyncSession, best: Resolution) -> str | None:
    """The body of the draft: the FAQ answer, or what an operator wrote on the best similar case."""
    if best.kind == "faq":
        return best.text
    case_id = best.sources[0]["ref"]
    stmt = (
        select(Message.text)
        .where(Message.case_id == case_id, Message.author == Author.OPERATOR)
        .where(Message.direction == "out")
        .order_by(col(Message.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first() or None


async def _context(session: AsyncSession, loaded: CaseContext) -> CustomerContext:
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
    session: AsyncSession, loaded: CaseContext, user: User
) -> tuple[Offer | None, str | None]:
    try:
        proposal = await offers.propose(session, context=loaded, user=user)
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
