"""Retention actions from the churn list (supervisors): start one, list them, record the
outcome; and the report of churn-risk band against outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response

from copilot.auth import Supervisor
from copilot.csv_export import csv_response
from copilot.deps import SessionDep, SettingsDep
from copilot.operator_schemas import MAX_ID
from copilot.retention_schemas import BandOutcomesOut, OutcomeIn, RetentionIn, RetentionOut
from copilot.routes.reports import FilterDep
from core.models import RetentionKind, RetentionOutcome
from core.retention import actions, report

router = APIRouter(prefix="/v1", tags=["retention"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/retention/actions", response_model=RetentionOut, status_code=status.HTTP_201_CREATED)
async def start(
    body: RetentionIn, session: SessionDep, settings: SettingsDep, user: Supervisor
) -> RetentionOut:
    """Start a call task, an offer (within the compensation policy) or an early check-in."""
    new = actions.NewAction(
        customer_id=body.customer_id,
        kind=RetentionKind(body.kind),
        note=body.note,
        due_at=body.due_at,
        offer_value=body.offer_value,
    )
    row = await actions.start_action(session, action=new, user=user, settings=settings)
    return RetentionOut.of(row)


@router.get("/retention/actions", response_model=list[RetentionOut])
async def list_all(
    session: SessionDep,
    _user: Supervisor,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[RetentionOut]:
    """Newest first; ``open=true``: those still pending or contacted."""
    rows = await actions.list_actions(
        session, customer_id=customer_id, open_only=open_only, limit=limit
    )
    return [RetentionOut.of(r) for r in rows]


@router.post("/retention/actions/{action_id}/outcome", response_model=RetentionOut)
async def outcome(
    action_id: IdPath, body: OutcomeIn, session: SessionDep, user: Supervisor
) -> RetentionOut:
    """Contacted, accepted or churned; accepted and churned are final (409 after them)."""
    row = await actions.record_outcome(
        session,
        action_id=action_id,
        outcome=RetentionOutcome(body.outcome),
        user=user,
        note=body.note,
    )
    return RetentionOut.of(row)


@router.get("/reports/retention", response_model=list[BandOutcomesOut])
async def band_outcomes(
    session: SessionDep, _user: Supervisor, filters: FilterDep
) -> list[BandOutcomesOut]:
    """Actions started in the window: per churn-risk band when started, how they ended."""
    rows = await report.band_outcomes(session, filters=filters)
    return [BandOutcomesOut.of(r) for r in rows]


@router.get("/reports/retention.csv", response_class=Response)
async def band_outcomes_csv(session: SessionDep, _user: Supervisor, filters: FilterDep) -> Response:
    rows = await report.band_outcomes(session, filters=filters)
    out = [BandOutcomesOut.of(r).model_dump() for r in rows]
    return csv_response(out, list(BandOutcomesOut.model_fields), "retention.csv")
