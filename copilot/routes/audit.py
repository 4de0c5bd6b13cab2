from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from copilot.auth import Supervisor
from copilot.deps import SessionDep
from core.platform.audit import MAX_LISTED, list_actions

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_id: int
    action: str
    path: str
    status: int
    request_id: str | None


@router.get("", response_model=list[AuditEventOut])
async def audit_trail(
    session: SessionDep,
    _sup: Supervisor,
    user_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LISTED)] = 100,
) -> list[AuditEventOut]:
    """Who changed what through the API, newest first (supervisors and admins)."""
    events = await list_actions(session, user_id=user_id, limit=limit)
    return [AuditEventOut.model_validate(e) for e in events]
