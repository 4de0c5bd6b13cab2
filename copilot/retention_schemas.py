"""Bodies and answers of the retention routes (copilot/routes/retention.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from copilot.operator_schemas import MAX_ID
from core import i18n
from core.models import RetentionAction
from core.retention.report import BandOutcomes


class RetentionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: int = Field(ge=1, le=MAX_ID)
    kind: Literal["call", "offer", "check_in"]
    note: str | None = Field(default=None, max_length=1000)
    due_at: AwareDatetime | None = None
    offer_value: float | None = Field(default=None, gt=0, le=10_000_000)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["contacted", "accepted", "churned"]
    note: str | None = Field(default=None, max_length=1000)


class RetentionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    customer_id: int
    kind: str
    churn_score: int
    churn_band: str
    note: str | None
    due_at: datetime | None
    offer_value: float | None
    currency: str | None
    policy_version: int | None
    order_id: int | None
    outcome: str
    outcome_note: str | None
    outcome_by: str | None
    outcome_at: datetime | None
    created_by: str
    created_at: datetime
    offer: str | None = None
    """The offer as money ("RUB500"), for the console."""

    @classmethod
    def of(cls, row: RetentionAction) -> RetentionOut:
        out = cls.model_validate(row)
        if row.offer_value is not None and row.currency:
            out.offer = i18n.money(row.offer_value, row.currency, "en")
        return out


class BandOutcomesOut(BaseModel):
    band: str
    actions: int
    pending: int
    contacted: int
    accepted: int
    churned: int
    churn_rate: float | None

    @classmethod
    def of(cls, row: BandOutcomes) -> BandOutcomesOut:
        return cls(
            band=row.band,
            actions=row.actions,
            pending=row.pending,
            contacted=row.contacted,
            accepted=row.accepted,
            churned=row.churned,
            churn_rate=row.churn_rate,
        )
