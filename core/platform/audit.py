"""The audit trail of what operators, supervisors and admins changed (``AuditEvent``): written
once per change the API was asked for, whatever its outcome, and listed for supervisors."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import AuditEvent

MAX_LISTED = 500


async def record_action(
    session: AsyncSession,
    *,
    user_id: int,
    action: str,
    path: str,
    status: int,
    request_id: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        user_id=user_id,
        action=action[:160],
        path=path[:300],
        status=status,
        request_id=request_id,
    )
    session.add(event)
    await session.commit()
    return event


async def list_actions(
    session: AsyncSession, *, user_id: int | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The newest first; one user's when ``user_id`` is given."""
    query = select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(min(limit, MAX_LISTED))
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    return list((await session.exec(query)).all())
