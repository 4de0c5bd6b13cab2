from __future__ import annotations

from fastapi import APIRouter, status

from copilot.auth import Admin, CurrentUser, Supervisor
from copilot.deps import SessionDep
from copilot.operator_schemas import NewUserOut, UserIn, UserOut
from core.platform import auth

router = APIRouter(prefix="/v1/users", tags=["users"])


@router.post("", response_model=NewUserOut, status_code=status.HTTP_201_CREATED)
async def create(body: UserIn, session: SessionDep, _admin: Admin) -> NewUserOut:
    """Create a user (admins only). The token is in this response only."""
    user, token = await auth.create_user(
        session, name=body.name, role=body.role, compensation_limit=body.compensation_limit
    )
    return NewUserOut(user=UserOut.model_validate(user), token=token)


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)


@router.get("", response_model=list[UserOut])
async def list_all(session: SessionDep, _sup: Supervisor) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in await auth.list_users(session)]
