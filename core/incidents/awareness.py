"""What an affected customer who writes about an active incident is told: the incident's own
message in their language (with its offer), not a generic answer; their case is tagged with
the incident. Only customers the incident affects (those with a notice about it) are told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.incidents.declare import compose
from core.incidents.notices import Offer
from core.models import Incident, IncidentStatus, Notice, NoticeKind
from core.models.base import utcnow

AWARE = (IncidentStatus.ACTIVE, IncidentStatus.PAUSED)


@dataclass(frozen=True, slots=True)
class IncidentAnswer:
    incident_id: int
    title: str
    text: str
    """The incident's message in the customer's language, with its offer."""


async def incident_answer(
    session: AsyncSession,
    *,
    customer_id: int,
    text: str,
    language: str | None,
    now: datetime | None = None,
) -> IncidentAnswer | None:
    """The answer when ``text`` is about an active incident affecting the customer, else None."""
    now = now or utcnow()
    stmt = (
        select(Incident)
        .join(Notice, col(Notice.subject_id) == col(Incident.id))
        .where(
            col(Notice.kind) == NoticeKind.INCIDENT,
            col(Notice.customer_id) == customer_id,
            col(Incident.status).in_(AWARE),
            col(Incident.starts_at) <= now,
            or_(col(Incident.ends_at).is_(None), col(Incident.ends_at) > now),
        )
        .order_by(col(Incident.id).desc())
    )
    words = text.lower()
    for incident in (await session.exec(stmt)).all():
        if any(keyword in words for keyword in incident.keywords):
            return _answer(incident, i18n.language_of(language))
    return None


def _answer(incident: Incident, language: str) -> IncidentAnswer:
    assert incident.id is not None
    messages = incident.messages
    shown = next(lang for lang in (language, i18n.DEFAULT, *messages) if lang in messages)
    offer = Offer.parse(incident.compensation)
    return IncidentAnswer(incident.id, incident.title, compose(messages[shown], offer, shown))
