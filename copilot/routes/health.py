from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from copilot.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability."""
    await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    return {"status": "ok"}
