from __future__ import annotations

from fastapi import APIRouter, status

from copilot.auth import CurrentUser
from copilot.deps import SessionDep, SettingsDep
from copilot.operator_schemas import InteractionIn, InteractionOut, MessageOut
from core.customers.interactions import record_interaction

router = APIRouter(prefix="/v1", tags=["interactions"])


@router.post("/interactions", response_model=InteractionOut, status_code=status.HTTP_201_CREATED)
async def record(
    body: InteractionIn, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> InteractionOut:
    """Record a phone call, email, web chat or store visit on the customer known by any of the
    given identities (a new customer otherwise)."""
    done = await record_interaction(
        session,
        channel=body.channel,
        identity=body.identity.model_dump(exclude_none=True),
        direction=body.direction,
        text=body.text,
        occurred_at=body.occurred_at,
        case_id=body.case_id,
        recorded_by=user.name,
        user=user,
        region=settings.default_region,
    )
    assert done.customer.id is not None and done.case.id is not None
    return InteractionOut(
        customer_id=done.customer.id,
        case_id=done.case.id,
        message=MessageOut.model_validate(done.message),
        customer_created=done.customer_created,
        case_created=done.case_created,
    )
