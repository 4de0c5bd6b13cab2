"""What came of the recovery cases (``recovery``) opened in a window: how many, why, how many a
person resolved and how, how fast, and whether the customer was won back (docs/metrics.md)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.feedback.recovery import triggers
from core.models import Case, CaseStatus, Pulse, PulseStatus
from core.reports.query import ReportFilter, percentile, rate

DONE = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


async def recovery_outcomes(
    session: AsyncSession, *, filters: ReportFilter, settings: Settings
) -> dict[str, Any]:
    """Recovery cases whose ``opened_at`` is in the window (the case filters apply to them)."""
    stmt = (
        select(Pulse, Case)
        .join(Case, col(Case.id) == col(Pulse.recovery_case_id))
        .where(*filters.cases(col(Case.opened_at)))
    )
    rows = list((await session.exec(stmt)).all())
    done = [(p, c) for p, c in rows if c.status in DONE and c.resolved_at is not None]
    why = Counter(t for p, _ in rows for t in triggers(p, settings=settings))
    outcome = Counter(c.resolution_code or "-" for _, c in done)
    durations = [(c.resolved_at - c.opened_at).total_seconds() for _, c in done if c.resolved_at]
    asked, won = await _won_back(session, done, settings)
    return {
        "recovery_opened": len(rows),
        "recovery_resolved": len(done),
        "recovery_open": len(rows) - len(done),
        "recovery_resolved_rate": rate(len(done), len(rows)),
        "recovery_ttr_p50_s": percentile(durations, 0.5),
        "recovery_triggers": dict(sorted(why.items())),
        "recovery_outcomes": dict(outcome.most_common()),
        "recovery_surveyed_after": asked,
        "recovery_won_back_rate": rate(won, asked),
    }


async def _won_back(
    session: AsyncSession, done: list[tuple[Pulse, Case]], settings: Settings
) -> tuple[int, int]:
    """Of the resolved recoveries whose customer answered a pulse afterwards, how many gave an
    answer that opens no recovery (the first answer after the recovery's resolution)."""
    asked = won = 0
    for _, case in done:
        stmt = (
            select(Pulse)
            .where(
                Pulse.customer_id == case.customer_id,
                Pulse.status == PulseStatus.ANSWERED,
                col(Pulse.answered_at) > case.resolved_at,
            )
            .order_by(col(Pulse.answered_at))
        )
        later = (await session.exec(stmt.limit(1))).first()
        if later is not None:
            asked += 1
            won += not triggers(later, settings=settings)
    return asked, won
