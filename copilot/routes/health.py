from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from copilot.deps import SessionDep
from copilot.operator_deps import OptionalRetrieverDep
from core.platform.health import Health, check_health

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["up", "down"]
    knowledge: Literal["ready", "empty", "off"]
    knowledge_entries: int
    chroma: Literal["up", "down", "off"]
    chroma_mode: str | None = None
    """``embedded`` or ``server``; none when this process has no knowledge base."""
    chroma_detail: str | None = None

    @classmethod
    def of(cls, health: Health) -> HealthOut:
        store = health.store
        return cls(
            status="ok" if health.ok else "unavailable",
            database="up" if health.database else "down",
            knowledge=health.knowledge,  # type: ignore[arg-type]
            knowledge_entries=health.entries,
            chroma="off" if store is None else "up" if store.up else "down",
            chroma_mode=store.mode if store else None,
            chroma_detail=store.detail if store else None,
        )


@router.get("/health", responses={503: {"model": HealthOut, "description": "A backend is down"}})
async def health(
    session: SessionDep, retriever: OptionalRetrieverDep, response: Response
) -> HealthOut:
    """The database, the knowledge base (``ready``, ``empty``: every question is escalated, or
    ``off``) and Chroma (embedded or a server); 503 while the database or Chroma is down."""
    report = await check_health(session, retriever=retriever)
    if not report.ok:
        response.status_code = 503
    return HealthOut.of(report)
