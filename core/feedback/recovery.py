"""Recovery cases: a customer who says they are unhappy gets a person. A low CSAT or CES, a
detractor NPS (0 to ``pulse_nps_detractor``) or a negative comment opens one recovery case per
pulse, escalated, with the context a person needs (the case it is about, its resolution and who
resolved it, the scores and the comment); answers that come later on the same pulse (the CES
after the CSAT, the comment) are added to that same case as notes.
"""

from __future__ import annotations

import re

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.models import (
    Author,
    Case,
    CaseEvent,
    CaseStatus,
    Direction,
    Message,
    MessageMeta,
    Pulse,
    PulseKind,
)

NEGATIVE = re.compile(
    r"\b(ужасн|отвратит|кошмар|безобраз|хамств|хамил|грубил|обман|разочаров|никогда больше|"
    r"не помог|жахлив|огидн|хамств|брехн|розчаров|більше ніколи|не допомог|groaznic|oribil|"
    r"dezamăgit|dezamagit|bătaie de joc|niciodată|nu m-a ajutat|nu a ajutat|terrible|awful|"
    r"horrible|disgust|rude|worst|useless|disappoint|scam|never again|not helpful|"
    r"didn'?t help|waste of time)",
    re.IGNORECASE,
)
"""Words of an unhappy comment, in Russian, Ukrainian, Romanian and English (stems)."""


def is_negative(comment: str | None) -> bool:
    return bool(comment and NEGATIVE.search(comment))


def triggers(pulse: Pulse, *, settings: Settings) -> list[str]:
    """Why this pulse calls for a person: the low scores and a negative comment (none: fine)."""
    found = []
    if pulse.csat is not None and pulse.csat <= settings.pulse_low_csat:
        found.append("csat")
    if pulse.ces is not None and pulse.ces <= settings.pulse_low_ces:
        found.append("ces")
    if pulse.nps is not None and pulse.nps <= settings.pulse_nps_detractor:
        found.append("nps")
    if is_negative(pulse.comment):
        found.append("comment")
    return found


def scores(pulse: Pulse, names: tuple[str, ...] = ("csat", "ces", "nps")) -> str:
    scale = {"csat": "CSAT {}/5", "ces": "CES {}/7", "nps": "NPS {}/10"}
    allowed = ("nps",) if pulse.kind == PulseKind.NPS else ("csat", "ces")
    return ", ".join(
        scale[n].format("-" if getattr(pulse, n) is None else getattr(pulse, n))
        for n in names
        if n in allowed
    )


async def follow_up(
    session: AsyncSession,
    pulse: Pulse,
    *,
    settings: Settings,
    answered: tuple[str, ...],
    comment: str | None,
) -> None:
    """After answers were stored: open the recovery case, or add them to the open one."""
    if pulse.recovery_case_id is None:
        why = triggers(pulse, settings=settings)
        if why:
            await _open(session, pulse, why)
        return
    if answered:
        text = f"Later answer: {scores(pulse, answered)}."
        await note(session, pulse.recovery_case_id, text, pulse)
    if comment:
        await note(session, pulse.recovery_case_id, f"Customer comment: {comment}", pulse)


async def _open(session: AsyncSession, pulse: Pulse, why: list[str]) -> None:
    source = await _source_case(session, pulse)
    topic = f"recovery: {source.topic}" if source and source.topic else "recovery"
    case = await lifecycle.open_case(
        session, customer_id=pulse.customer_id, channel=pulse.channel, topic=topic[:200]
    )
    assert case.id is not None
    reason = "NPS detractor" if why == ["nps"] else "low satisfaction score"
    if why == ["comment"]:
        reason = "negative feedback comment"
    await lifecycle.escalate(session, case_id=case.id, reason=reason)
    pulse.recovery_case_id = case.id
    session.add(pulse)
    await note(session, case.id, await _context(session, pulse, source), pulse)


async def _source_case(session: AsyncSession, pulse: Pulse) -> Case | None:
    """The case the pulse asks about; for NPS, the customer's latest resolved case, if any."""
    if pulse.case_id is not None:
        return await lifecycle.get_case(session, pulse.case_id)
    stmt = (
        select(Case)
        .where(
            Case.customer_id == pulse.customer_id,
            col(Case.status).in_((CaseStatus.RESOLVED, CaseStatus.CLOSED)),
            or_(col(Case.topic).is_(None), ~col(Case.topic).startswith("recovery")),
        )
        .order_by(col(Case.resolved_at).desc())
    )
    return (await session.exec(stmt.limit(1))).first()


async def _context(session: AsyncSession, pulse: Pulse, source: Case | None) -> str:
    if pulse.kind == PulseKind.NPS:
        parts = [f"Detractor in the NPS round ({scores(pulse)})."]
        if source is not None:
            parts.append(f"Latest resolved case #{source.id}")
    else:
        parts = [f"Low satisfaction after case #{pulse.case_id}"]
    if source is not None:
        who = await _resolved_by(session, source)
        parts.append(
            f"(topic {source.topic or '-'}; resolution {source.resolution_code or '-'}: "
            f"{source.resolution or '-'}; resolved by {who})"
        )
    if pulse.kind != PulseKind.NPS:
        parts.append(f"{scores(pulse)}.")
    if pulse.comment:
        parts.append(f"Comment: {pulse.comment}")
    return " ".join(parts)


async def _resolved_by(session: AsyncSession, case: Case) -> str:
    stmt = (
        select(Message)
        .where(Message.case_id == case.id, Message.event == CaseEvent.RESOLVED)
        .order_by(col(Message.id).desc())
    )
    event = (await session.exec(stmt.limit(1))).first()
    return (event.meta.by if event is not None else None) or "bot"


async def note(session: AsyncSession, case_id: int, text: str, pulse: Pulse) -> None:
    session.add(
        Message(
            case_id=case_id,
            direction=Direction.INTERNAL,
            channel=pulse.channel,
            author=Author.SYSTEM,
            text=text,
            event=CaseEvent.RECOVERY,
            meta=MessageMeta(pulse_id=pulse.id, source_case_id=pulse.case_id),
        )
    )
    await session.commit()
