from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from copilot.deps import SessionDep
from copilot.operator_deps import OptionalRetrieverDep
from core.models.base import utcnow
from core.platform.beats import Beat
from core.platform.health import Health, check_health

router = APIRouter(tags=["health"])


class ProcessOut(BaseModel):
    """A long-running process's last beat. Its host and pid are left out: ``/health`` needs no
    token (``cxc health`` prints them on the machine itself)."""

    kind: str
    started: datetime
    beat_at: datetime
    age_s: float
    """Seconds since its last beat."""

    @classmethod
    def of(cls, beat: Beat, now: datetime) -> ProcessOut:
        age = round((now - beat.beat_at).total_seconds(), 1)
        return cls(
            kind=beat.kind,
            started=beat.started,
            beat_at=beat.beat_at,
            age_s=age,
        )


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["up", "down"]
    knowledge: Literal["ready", "empty", "off"]
    knowledge_entries: int
    chroma: Literal["up", "down", "off"]
    chroma_mode: str | None = None
    """``embedded`` or ``server``; none when this process has no knowledge base."""
    chroma_detail: str | None = None
    processes: list[ProcessOut] = []
    """The bot's and the workers' last heartbeats (within a day); informational, never a
    reason for 503."""

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
            processes=[ProcessOut.of(beat, utcnow()) for beat in health.processes],
        )


@router.get("/health", responses={503: {"model": HealthOut, "description": "A backend is down"}})
async def health(
    session: SessionDep, retriever: OptionalRetrieverDep, response: Response
) -> HealthOut:
    """The database, the knowledge base (``ready``, ``empty``: every question is escalated, or
    ``off``) and Chroma (embedded or a server); 503 while the database or Chroma is down. The
    bot's and the workers' last heartbeats are listed (``processes``), never a reason for 503."""
    report = await check_health(session, retriever=retriever)
    if not report.ok:
        response.status_code = 503
    return HealthOut.of(report)
