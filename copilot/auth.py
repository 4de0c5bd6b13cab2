"""Bearer-token authentication for the API: every route but health and the webhook uses it.

No or an unknown token -> 401; a known user without the role a route needs -> 403
(``core.errors.NotAllowed``, translated by ``copilot.errors``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from copilot.audit import ACTOR
from copilot.deps import SessionDep
from core.models import User
from core.platform import auth

UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


BEARER = HTTPBearer(auto_error=False, description="A user's API token (`cxc users create`)")
"""Declares the bearer scheme in the OpenAPI document; the token is checked below."""


async def current_user(
    request: Request,
    session: SessionDep,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> User:
    token = bearer_token(request)
    if token is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bearer token required", UNAUTHORIZED)
    user = await auth.resolve_token(session, token=token)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid or revoked token", UNAUTHORIZED)
    setattr(request.state, ACTOR, user.id)  # the audit trail's "who" (copilot.audit)
    return user


def require(*roles: str) -> Callable[..., Coroutine[Any, Any, User]]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        auth.require_role(user, roles)
        return user

    return check


CurrentUser = Annotated[User, Depends(current_user)]
Supervisor = Annotated[User, Depends(require("supervisor", "admin"))]
Admin = Annotated[User, Depends(require("admin"))]
