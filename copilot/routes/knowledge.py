"""Knowledge search for operators (the same Retriever the bot uses), and the candidates the
knowledge base learns from resolved cases: listed for everyone, decided by supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from copilot.auth import CurrentUser
from copilot.deps import RetrieverDep, SessionDep, SettingsDep
from copilot.operator_deps import OptionalRetrieverDep
from copilot.operator_schemas import MAX_ID
from copilot.schemas import AskResponse
from core.learning import review
from core.learning.shown import ShownCandidate, list_shown_candidates, shown_candidates
from core.models import KnowledgeCandidate
from core.privacy import Disclosure

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])
CandidateIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


class NearestOut(BaseModel):
    entry_id: str
    question: str
    score: float


class CandidateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    case_id: int
    entry_id: str
    text: str
    status: str
    new_entry_question: str | None
    new_entry_answer: str | None
    language: str | None
    proposed_by: str
    decided_by: str | None
    note: str | None
    created_at: datetime
    decided_at: datetime | None
    nearest: list[NearestOut] = Field(
        default_factory=list, description="The existing entries nearest to a proposed phrasing."
    )

    @classmethod
    def of(cls, candidate: KnowledgeCandidate, disclosure: Disclosure) -> CandidateOut:
        """The candidate with its texts as ``disclosure`` allows."""
        out = cls.model_validate(candidate)
        texts = ("text", "new_entry_question", "new_entry_answer")
        return out.model_copy(
            update={k: disclosure.text(v) for k in texts if (v := getattr(out, k)) is not None}
        )

    @classmethod
    def of_shown(cls, s: ShownCandidate) -> CandidateOut:
        out = cls.of(s.candidate, s.disclosure)
        out.nearest = [
            NearestOut(entry_id=c.entry_id, question=c.question, score=c.score) for c in s.nearest
        ]
        return out


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=1000)


@router.get("/search", response_model=AskResponse)
async def search(
    q: Annotated[str, Query(min_length=1, max_length=4000)],
    retriever: RetrieverDep,
    _user: CurrentUser,
    language: Annotated[str | None, Query(max_length=8)] = None,
) -> AskResponse:
    """Rank knowledge entries for an operator's query (candidates with scores and sources)."""
    return AskResponse.of(await retriever.ask(q, language=language))


@router.get("/candidates", response_model=list[CandidateOut])
async def list_candidates(
    session: SessionDep,
    user: CurrentUser,
    retriever: OptionalRetrieverDep,
    status: Literal["proposed", "approved", "rejected"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[CandidateOut]:
    """Phrasings and new entries proposed from resolved cases, oldest first; a proposed one
    with the existing entries nearest to its words. Card numbers are masked; phones and e-mails
    too, unless the user may see that case's customer's contacts."""
    rows = await list_shown_candidates(
        session, user=user, retriever=retriever, status=status, limit=limit, offset=offset
    )
    return [CandidateOut.of_shown(s) for s in rows]


@router.post("/candidates/{candidate_id}/approve", response_model=CandidateOut)
async def approve(
    candidate_id: CandidateIdPath,
    session: SessionDep,
    user: CurrentUser,
    retriever: RetrieverDep,
    settings: SettingsDep,
) -> CandidateOut:
    """Supervisors: index the phrasing (or create the entry) now. 409 when already decided or
    when it would change the answers (the detail names them); 422 when it holds personal data."""
    candidate = await review.approve_candidate(
        session,
        candidate_id=candidate_id,
        user=user,
        retriever=retriever,
        region=settings.default_region,
    )
    return CandidateOut.of_shown((await shown_candidates(session, [candidate], user=user))[0])


@router.post("/candidates/{candidate_id}/reject", response_model=CandidateOut)
async def reject(
    candidate_id: CandidateIdPath,
    session: SessionDep,
    user: CurrentUser,
    body: RejectIn | None = None,
) -> CandidateOut:
    """Supervisors: drop the candidate; 409 when already decided."""
    candidate = await review.reject_candidate(
        session, candidate_id=candidate_id, user=user, note=body.note if body else None
    )
    return CandidateOut.of_shown((await shown_candidates(session, [candidate], user=user))[0])
