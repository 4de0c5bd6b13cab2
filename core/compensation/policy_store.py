"""Versions of the compensation policy in the database: the active one (the bundled default
becomes version 1 on first use) and a new version whenever a different document is stored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.compensation.policy import DEFAULT_POLICY, load_policy_file, validate_policy
from core.models import CompensationPolicy


async def active_policy(session: AsyncSession) -> CompensationPolicy:
    """The active policy version; the bundled default is loaded as version 1 on first use.

    The default is stored in a session of its own: of several first uses at once one stores it
    (the version is unique), the others' insert fails there, and all read the one stored.
    """
    policy = await _active(session)
    if policy is not None:
        return policy
    async with AsyncSession(session.bind, expire_on_commit=False) as own:
        try:
            await store_policy(
                own,
                document=load_policy_file(DEFAULT_POLICY),
                source=DEFAULT_POLICY.name,
                actor=None,
            )
        except IntegrityError:
            await own.rollback()
    policy = await _active(session)
    assert policy is not None
    return policy


async def _active(session: AsyncSession) -> CompensationPolicy | None:
    stmt = select(CompensationPolicy).where(col(CompensationPolicy.active).is_(True))
    return (await session.exec(stmt.order_by(col(CompensationPolicy.version).desc()))).first()


async def load_policy(
    session: AsyncSession, *, path: Path, actor: str | None
) -> CompensationPolicy:
    """Load a policy file: a new version when it differs from the active one (CLI entry)."""
    return await store_policy(
        session, document=load_policy_file(path), source=str(path), actor=actor
    )


async def store_policy(
    session: AsyncSession, *, document: dict[str, Any], source: str, actor: str | None
) -> CompensationPolicy:
    validate_policy(document)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    current = (
        await session.exec(
            select(CompensationPolicy).where(col(CompensationPolicy.active).is_(True))
        )
    ).all()
    if any(p.content_hash == digest for p in current):
        return next(p for p in current if p.content_hash == digest)
    latest = (await session.exec(select(func.max(CompensationPolicy.version)))).one()
    for old in current:
        old.active = False
        session.add(old)
    policy = CompensationPolicy(
        version=(latest or 0) + 1,
        document=document,
        content_hash=digest,
        source=source[:500],
        created_by=actor,
    )
    session.add(policy)
    await session.commit()
    return policy
