"""For supervisors: deliveries that failed (after their retry window, refused, or of unknown
outcome) and their resend; inbound updates parked after repeated failures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from copilot.auth import Supervisor
from copilot.deps import SessionDep
from copilot.operator_schemas import MAX_ID
from core.models import DeliveryStatus, InboundUpdate, OutboundDelivery, UpdateStatus
from core.platform import deliveries, updates

router = APIRouter(prefix="/v1", tags=["deliveries"])


class DeliveryOut(BaseModel):
    id: int
    channel: str
    external_id: str
    text: str
    message_id: int | None
    status: str
    attempts: int
    error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, row: OutboundDelivery) -> DeliveryOut:
        return cls.model_validate(row, from_attributes=True)


class UpdateOut(BaseModel):
    id: int
    channel: str
    update_id: int
    status: str
    attempts: int
    error: str | None
    received_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, row: InboundUpdate) -> UpdateOut:
        return cls.model_validate(row, from_attributes=True)


@router.get("/deliveries", response_model=list[DeliveryOut])
async def list_deliveries(
    session: SessionDep,
    user: Supervisor,
    status: Annotated[DeliveryStatus, Query()] = DeliveryStatus.FAILED,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Deliveries by status, newest first (``failed`` by default: the ones to look at)."""
    return [DeliveryOut.of(r) for r in await deliveries.listed(session, status=status, limit=limit)]


@router.post("/deliveries/{delivery_id}/resend", response_model=DeliveryOut)
async def resend(
    delivery_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, user: Supervisor
) -> DeliveryOut:
    """Queue a failed delivery again; a sender (bot or worker) takes it within seconds."""
    return DeliveryOut.of(await deliveries.resend(session, delivery_id=delivery_id))


@router.get("/updates", response_model=list[UpdateOut])
async def list_updates(
    session: SessionDep,
    user: Supervisor,
    status: Annotated[UpdateStatus, Query()] = UpdateStatus.PARKED,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[UpdateOut]:
    """Inbound updates by status (``parked`` by default: poison updates, with their error)."""
    return [UpdateOut.of(r) for r in await updates.listed(session, status=status, limit=limit)]
