"""Promises to customers: record, list (overdue ones too), mark kept or broken."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from copilot.auth import CurrentUser
from copilot.deps import SessionDep
from copilot.operator_schemas import MAX_ID, PromiseIn, PromiseOut
from core.cases import promises
from core.desk import operators

router = APIRouter(prefix="/v1", tags=["promises"])
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post(
    "/cases/{case_id}/promises", response_model=PromiseOut, status_code=status.HTTP_201_CREATED
)
async def make(
    case_id: IdPath, body: PromiseIn, session: SessionDep, user: CurrentUser
) -> PromiseOut:
    """Record a promise to the customer ("refund within 3 days") with its due time."""
    promise = await promises.make_promise(
        session, case_id=case_id, user=user, text=body.text, due_at=body.due_at
    )
    return PromiseOut.of(promise)


@router.get("/promises", response_model=list[PromiseOut])
async def list_all(
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[Literal["open", "kept", "broken"] | None, Query(alias="status")] = None,
    overdue: bool = False,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[PromiseOut]:
    """Promises by due time; ``overdue=true`` lists the open ones past due."""
    if case_id is not None:
        await operators.accessible_case(session, case_id=case_id, user=user)
    rows = await promises.list_promises(
        session, status=status_, overdue=overdue, case_id=case_id, user=user
    )
    return [PromiseOut.of(p) for p in rows]


@router.post("/promises/{promise_id}/kept", response_model=PromiseOut)
async def kept(promise_id: IdPath, session: SessionDep, user: CurrentUser) -> PromiseOut:
    return PromiseOut.of(
        await promises.close_promise(session, promise_id=promise_id, user=user, kept=True)
    )


@router.post("/promises/{promise_id}/broken", response_model=PromiseOut)
async def broken(promise_id: IdPath, session: SessionDep, user: CurrentUser) -> PromiseOut:
    return PromiseOut.of(
        await promises.close_promise(session, promise_id=promise_id, user=user, kept=False)
    )
