"""The contact-reason taxonomy: the codes an operator may choose when resolving, with labels."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from copilot.auth import CurrentUser
from copilot.deps import SettingsDep
from core.cases import reasons

router = APIRouter(prefix="/v1/contact-reasons", tags=["cases"])


class ReasonOut(BaseModel):
    code: str
    labels: dict[str, str]


@router.get("", response_model=list[ReasonOut])
async def list_reasons(settings: SettingsDep, _user: CurrentUser) -> list[ReasonOut]:
    """Every contact reason, in the taxonomy's order (the default last when listed last)."""
    taxonomy = reasons.for_settings(settings)
    return [ReasonOut(code=r.code, labels=r.labels) for r in taxonomy.reasons]
