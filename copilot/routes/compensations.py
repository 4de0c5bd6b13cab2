"""Compensation offers under the versioned policy; approval by supervisors; issuing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status

from copilot.auth import CurrentUser, Supervisor
from copilot.deps import SessionDep
from copilot.operator_deps import CrmDep
from copilot.operator_schemas import (
    MAX_ID,
    AuditOut,
    CompensationDetail,
    CompensationIn,
    CompensationOut,
    DecisionIn,
)
from core.compensation import offers, policy_store
from core.desk import operators

router = APIRouter(prefix="/v1/compensations", tags=["compensations"])
CompId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", response_model=CompensationOut, status_code=status.HTTP_201_CREATED)
async def offer(
    body: CompensationIn, session: SessionDep, user: CurrentUser, crm: CrmDep
) -> CompensationOut:
    """Offer what the policy gives for the case. The amount is the policy's, never the
    caller's; above the caller's limit the offer waits for a supervisor's approval."""
    comp = await offers.offer(
        session,
        case_id=body.case_id,
        user=user,
        issue_type=body.issue_type,
        affected_amount=body.affected_amount,
        crm=crm,
    )
    return CompensationOut.model_validate(comp)


@router.get("", response_model=list[CompensationOut])
async def list_offers(
    session: SessionDep,
    user: CurrentUser,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status_: Annotated[
        Literal["approved", "pending_approval", "rejected", "issued"] | None,
        Query(alias="status"),
    ] = None,
) -> list[CompensationOut]:
    if case_id is not None:
        await operators.accessible_case(session, case_id=case_id, user=user)
    rows = await offers.list_compensations(session, case_id=case_id, status=status_, user=user)
    return [CompensationOut.model_validate(c) for c in rows]


@router.get("/policy")
async def active_policy(session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The active policy version and its rules."""
    policy = await policy_store.active_policy(session)
    return {"version": policy.version, "source": policy.source, "document": policy.document}


@router.get("/{compensation_id}", response_model=CompensationDetail)
async def get_offer(
    compensation_id: CompId, session: SessionDep, user: CurrentUser
) -> CompensationDetail:
    """The offer with its audit log (who offered, approved, rejected or issued it, and when)."""
    comp = await offers.get_compensation(session, compensation_id)
    await operators.accessible_case(session, case_id=comp.case_id, user=user)
    audit = await offers.audit_log(session, compensation_id=compensation_id)
    return CompensationDetail.model_validate(comp).model_copy(
        update={"audit": [AuditOut.model_validate(a) for a in audit]}
    )


@router.post("/{compensation_id}/approve", response_model=CompensationOut)
async def approve(
    compensation_id: CompId, session: SessionDep, user: Supervisor
) -> CompensationOut:
    comp = await offers.approve(session, compensation_id=compensation_id, user=user)
    return CompensationOut.model_validate(comp)


@router.post("/{compensation_id}/reject", response_model=CompensationOut)
async def reject(
    compensation_id: CompId, session: SessionDep, user: Supervisor, body: DecisionIn | None = None
) -> CompensationOut:
    comp = await offers.reject(
        session, compensation_id=compensation_id, user=user, note=body.note if body else ""
    )
    return CompensationOut.model_validate(comp)


@router.post("/{compensation_id}/issue", response_model=CompensationOut)
async def issue(compensation_id: CompId, session: SessionDep, user: CurrentUser) -> CompensationOut:
    """Issue an approved offer (promo codes get their code); 409 while approval is pending."""
    comp = await offers.issue(session, compensation_id=compensation_id, user=user)
    return CompensationOut.model_validate(comp)
