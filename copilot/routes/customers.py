from __future__ import annotations

from fastapi import APIRouter, Path, Query, Response, status

from copilot.auth import Supervisor
from copilot.customer_schemas import ConflictOut, CustomerIn, CustomerOut
from copilot.deps import SessionDep, SettingsDep
from copilot.operator_schemas import MAX_ID
from core.customers.profile import customer_profile, import_customer, list_conflicts

router = APIRouter(prefix="/v1", tags=["customers"])


@router.get("/customers/{customer_id}", response_model=CustomerOut)
async def get_customer(
    session: SessionDep, _user: Supervisor, customer_id: int = Path(ge=1, le=MAX_ID)
) -> CustomerOut:
    """The customer with their identities, orders, past CRM cases and identity conflicts."""
    return CustomerOut.of(await customer_profile(session, customer_id=customer_id))


@router.post("/customers", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
async def post_customer(
    body: CustomerIn,
    session: SessionDep,
    settings: SettingsDep,
    _user: Supervisor,
    response: Response,
) -> CustomerOut:
    """Import one customer with identities and orders (201 new, 200 updated; 409 when an
    identity belongs to another customer, 422 when one is invalid)."""
    orders = [o.data(body.id) for o in body.orders]
    profile = await import_customer(
        session, customer=body.data(), orders=orders, region=settings.default_region
    )
    response.status_code = status.HTTP_201_CREATED if profile.created else status.HTTP_200_OK
    return CustomerOut.of(profile)


@router.get("/identity-conflicts", response_model=list[ConflictOut])
async def get_conflicts(
    session: SessionDep, _user: Supervisor, limit: int = Query(100, ge=1, le=1000)
) -> list[ConflictOut]:
    """Identities two customers claim (one phone on two CRM records), newest first: reported by
    the sync, never merged, for a person to settle."""
    return [ConflictOut.model_validate(c) for c in await list_conflicts(session, limit=limit)]
