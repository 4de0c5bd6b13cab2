"""The customer's answered surveys as the case view shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from core.models import Pulse
from core.privacy import Disclosure


class FeedbackOut(BaseModel):
    """One answered survey of the customer: a CSAT/CES pulse after a case, or an NPS answer."""

    pulse_id: int
    kind: str
    case_id: int | None
    channel: str
    answered_at: datetime | None
    csat: int | None
    ces: int | None
    nps: int | None
    comment: str | None
    recovery_case_id: int | None

    @classmethod
    def of(cls, pulse: Pulse, shown: Disclosure) -> FeedbackOut:
        assert pulse.id is not None
        return cls(
            pulse_id=pulse.id,
            kind=str(pulse.kind),
            case_id=pulse.case_id,
            channel=pulse.channel,
            answered_at=pulse.answered_at,
            csat=pulse.csat,
            ces=pulse.ces,
            nps=pulse.nps,
            comment=shown.text(pulse.comment) if pulse.comment else pulse.comment,
            recovery_case_id=pulse.recovery_case_id,
        )
