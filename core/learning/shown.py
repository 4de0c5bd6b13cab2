"""Knowledge candidates as a user may see them: a candidate's text is a customer's message, so
its phone numbers and e-mails are shown only to those who may see that case's customer's
contacts, and card numbers to nobody (``core.platform.auth.disclosure_for``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.domain import Candidate
from core.learning import review
from core.models import Case, KnowledgeCandidate, User
from core.platform.auth import disclosure_for
from core.ports import Retriever
from core.privacy import Disclosure


@dataclass(frozen=True, slots=True)
class ShownCandidate:
    candidate: KnowledgeCandidate
    disclosure: Disclosure
    nearest: tuple[Candidate, ...] = ()
    """The existing entries nearest to a proposed phrasing (``review.review_candidates``)."""


async def list_shown_candidates(
    session: AsyncSession,
    *,
    user: User,
    retriever: Retriever | None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ShownCandidate]:
    """``review.review_candidates``, each with what ``user`` may see of its personal data."""
    reviews = await review.review_candidates(
        session, retriever=retriever, status=status, limit=limit, offset=offset
    )
    shown = await shown_candidates(session, [r.candidate for r in reviews], user=user)
    return [replace(s, nearest=r.nearest) for s, r in zip(shown, reviews, strict=True)]


async def shown_candidates(
    session: AsyncSession, candidates: list[KnowledgeCandidate], *, user: User
) -> list[ShownCandidate]:
    ids = {c.case_id for c in candidates}
    cases = {c.id: c for c in (await session.exec(select(Case).where(col(Case.id).in_(ids)))).all()}
    masked = Disclosure(contacts=False)
    return [
        ShownCandidate(c, disclosure_for(user, case) if (case := cases.get(c.case_id)) else masked)
        for c in candidates
    ]
