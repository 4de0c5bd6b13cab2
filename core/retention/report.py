"""Churn-risk band against outcome (docs/metrics.md, "Retention"): of the retention actions
started in the window, per band the customer was in when the action started, how they ended."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import RetentionAction, RetentionOutcome
from core.reports.churn import BANDS
from core.reports.query import ReportFilter, rate


@dataclass(frozen=True, slots=True)
class BandOutcomes:
    band: str
    actions: int
    pending: int
    contacted: int
    accepted: int
    churned: int

    @property
    def churn_rate(self) -> float | None:
        """Churned / actions with a final outcome (accepted or churned)."""
        return rate(self.churned, self.accepted + self.churned)


async def band_outcomes(session: AsyncSession, *, filters: ReportFilter) -> list[BandOutcomes]:
    """One row per band, high to none (bands with no action included, with zeros)."""
    where = []
    if filters.start is not None:
        where.append(col(RetentionAction.created_at) >= filters.start)
    if filters.end is not None:
        where.append(col(RetentionAction.created_at) < filters.end)
    stmt = (
        select(col(RetentionAction.churn_band), col(RetentionAction.outcome), func.count())
        .where(*where)
        .group_by(col(RetentionAction.churn_band), col(RetentionAction.outcome))
    )
    counts: dict[tuple[str, str], int] = {}
    for band, outcome, total in (await session.exec(stmt)).all():  # type: ignore[call-overload]
        counts[(str(band), str(outcome))] = int(total)

    def n(band: str, outcome: RetentionOutcome) -> int:
        return counts.get((band, str(outcome)), 0)

    return [
        BandOutcomes(
            band=band,
            actions=sum(v for (b, _), v in counts.items() if b == band),
            pending=n(band, RetentionOutcome.PENDING),
            contacted=n(band, RetentionOutcome.CONTACTED),
            accepted=n(band, RetentionOutcome.ACCEPTED),
            churned=n(band, RetentionOutcome.CHURNED),
        )
        for band in BANDS
    ]
