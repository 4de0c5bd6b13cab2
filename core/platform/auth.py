"""Users of the copilot and their bearer API tokens (stored as sha256), and who may do what.

Operators act on cases assigned to them or unassigned; supervisors and admins on every case.
The same rule says whose phones and e-mails a user sees (``disclosure_for``).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from core.models import ApiToken, Case, Role, User
from core.models.base import utcnow
from core.privacy import Disclosure

TOKEN_PREFIX = "cxc_"
SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_user(
    session: AsyncSession,
    *,
    name: str,
    role: str,
    compensation_limit: float | None = None,
) -> tuple[User, str]:
    """Create a user and their first token. The token is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("name must be 1-100 characters")
    if role not in set(Role):
        raise InvalidInput(f"role must be one of {', '.join(Role)}, not {role!r}")
    user = User(name=name, role=Role(role), compensation_limit=compensation_limit)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        await session.rollback()
        raise InvalidTransition(f"user {name!r} already exists") from None
    token = await _new_token(session, user)
    await session.commit()
    return user, token


async def issue_token(session: AsyncSession, *, user_name: str, rotate: bool = False) -> str:
    """Another token for an existing user. The old ones keep working (a lost one), or with
    ``rotate`` stop working in the same commit (a leaked one, a scheduled rotation)."""
    user = await get_user_by_name(session, user_name)
    if rotate:
        await _revoke(session, user)
    token = await _new_token(session, user)
    await session.commit()
    return token


async def revoke_tokens(session: AsyncSession, *, user_name: str) -> int:
    user = await get_user_by_name(session, user_name)
    count = await _revoke(session, user)
    await session.commit()
    return count


async def _revoke(session: AsyncSession, user: User) -> int:
    rows = (
        await session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        )
    ).all()
    for row in rows:
        row.revoked_at = utcnow()
        session.add(row)
    return len(rows)


async def resolve_token(session: AsyncSession, *, token: str) -> User | None:
    """The active user behind a token, or None for an unknown, revoked or malformed token."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    stmt = (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == hash_token(token), col(ApiToken.revoked_at).is_(None))
    )
    user = (await session.exec(stmt)).first()
    return user if user is not None and user.active else None


async def get_user_by_name(session: AsyncSession, name: str) -> User:
    user = (await session.exec(select(User).where(User.name == name))).first()
    if user is None:
        raise NotFound("user", name)
    return user


async def list_users(session: AsyncSession) -> list[User]:
    return list((await session.exec(select(User).order_by(col(User.id)))).all())


def require_role(user: User, roles: Iterable[str]) -> None:
    allowed = set(roles)
    if user.role not in allowed:
        raise NotAllowed(f"{user.role} {user.name!r} may not do this (needs {sorted(allowed)})")


def is_supervising(user: User) -> bool:
    return user.role in SUPERVISING


def visible_cases(user: User) -> ColumnElement[bool] | None:
    """The condition on ``Case`` for what the user may list (the rule of
    :func:`require_case_access`); None for supervisors, who see every case."""
    if is_supervising(user):
        return None
    return or_(col(Case.assigned_operator).is_(None), col(Case.assigned_operator) == user.name)


def require_case_access(user: User, case: Case) -> None:
    """Operators act on cases assigned to them or unassigned; supervisors on all."""
    if is_supervising(user):
        return
    if case.assigned_operator not in (None, user.name):
        raise NotAllowed(f"case {case.id} is assigned to another operator")


def sees_contacts(user: User, case: Case) -> bool:
    """Phones and e-mails of a case's customer are shown to supervisors and admins, and to an
    operator who may act on the case (theirs or unassigned); card numbers are masked for all."""
    return is_supervising(user) or case.assigned_operator in (None, user.name)


def disclosure_for(user: User, case: Case, *, region: str = "RU") -> Disclosure:
    """What ``user`` may see of the personal data in ``case``'s texts (``sees_contacts``)."""
    return Disclosure(contacts=sees_contacts(user, case), region=region)


async def _new_token(session: AsyncSession, user: User) -> str:
    assert user.id is not None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:12]))
    return token
