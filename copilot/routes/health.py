from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from copilot.deps import SessionDep
from copilot.operator_deps import OptionalRetrieverDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(session: SessionDep, retriever: OptionalRetrieverDep) -> dict[str, str | int]:
    """Liveness and database reachability; ``knowledge``: ``ready``, ``empty`` (nothing to
    answer from: every question is escalated) or ``off``, with the number of entries."""
    await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    entries = len(retriever.entries()) if retriever is not None else 0
    knowledge = "off" if retriever is None else "ready" if entries else "empty"
    return {"status": "ok", "knowledge": knowledge, "knowledge_entries": entries}
