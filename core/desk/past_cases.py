"""The customer's own past cases like the case at hand, ours and a CRM's, for the operator:
"what has this customer told us before?". Their cases are read from the database first (the
most recent ``CANDIDATES`` of each kind), and the case memory only ranks those by meaning, so
nobody else's case can be among them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.desk.case_memory import Recollection
from core.errors import BackendUnavailable
from core.models import Case, CaseStatus, CrmCase

log = logging.getLogger(__name__)
CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class PastCase:
    """One of the customer's own past cases like the one at hand: ours or the CRM's."""

    kind: str
    ref: int
    title: str
    outcome: str | None
    status: str
    at: datetime | None
    score: float


async def past_cases(
    session: AsyncSession,
    *,
    recollection: Recollection | None,
    text: str,
    customer_id: int,
    exclude: int | None = None,
    k: int = 3,
) -> list[PastCase]:
    """The customer's ``k`` own past cases most like ``text`` (none without a memory, or
    while it cannot be reached)."""
    if recollection is None:
        return []
    mine = await candidates(session, customer_id=customer_id, exclude=exclude)
    return await rank_past_cases(recollection, mine, text=text, customer_id=customer_id, k=k)


async def rank_past_cases(
    recollection: Recollection | None,
    mine: dict[str, Case | CrmCase],
    *,
    text: str,
    customer_id: int,
    k: int = 3,
) -> list[PastCase]:
    """The ``k`` of the customer's own ``mine`` (:func:`candidates`) most like ``text``, ranked
    by the case memory alone: no database session is needed (nor held) while it embeds."""
    if recollection is None or not mine:
        return []
    try:
        found = await recollection.memory.history(
            text, customer_id=customer_id, keys=list(mine), k=k
        )
    except BackendUnavailable as exc:
        log.warning("the customer's past cases skipped: %s", exc)
        return []
    return [_past(mine[r.key], r.score) for r in found if r.key in mine]


async def candidates(
    session: AsyncSession,
    *,
    customer_id: int,
    exclude: int | None,
    crm_cases: Sequence[CrmCase] | None = None,
) -> dict[str, Case | CrmCase]:
    """The customer's resolved cases of ours and their CRM cases, newest first, by key
    (``crm_cases``: the customer's CRM cases when the caller has loaded them already)."""
    ours = (
        select(Case)
        .where(
            Case.customer_id == customer_id,
            col(Case.status).in_((CaseStatus.RESOLVED, CaseStatus.CLOSED)),
            col(Case.id) != (exclude or -1),
        )
        .order_by(col(Case.resolved_at).desc())
        .limit(CANDIDATES)
    )
    if crm_cases is None:
        theirs = (
            select(CrmCase)
            .where(CrmCase.customer_id == customer_id)
            .order_by(col(CrmCase.id).desc())
            .limit(CANDIDATES)
        )
        crm_cases = list((await session.exec(theirs)).all())
    else:
        crm_cases = sorted(crm_cases, key=lambda c: c.id or 0, reverse=True)[:CANDIDATES]
    found: dict[str, Case | CrmCase] = {f"case:{c.id}": c for c in (await session.exec(ours))}
    found |= {f"crm:{c.id}": c for c in crm_cases}
    return found


def _past(row: Case | CrmCase, score: float) -> PastCase:
    if isinstance(row, Case):
        title = row.topic or row.resolution_code or f"#{row.id}"
        return PastCase(
            "case", row.id or 0, title, row.resolution, str(row.status), row.resolved_at, score
        )
    return PastCase(
        "crm",
        row.id or 0,
        row.subject or row.external_id,
        row.outcome,
        row.status,
        row.closed_at or row.opened_at,
        score,
    )
