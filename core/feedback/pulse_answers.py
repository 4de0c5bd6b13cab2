"""Answers to satisfaction pulses: the signed, expiring links to the page at
``/pulse/{token}``, Telegram button presses and the optional comment; what an unhappy answer
opens is in ``recovery``, scheduling and sending in ``surveys``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.feedback import pulse_texts, recovery
from core.feedback.pulse_texts import Prompt, next_prompt
from core.feedback.surveys import get_pulse
from core.models import (
    ChannelIdentity,
    Customer,
    Pulse,
    PulseKind,
    PulseStatus,
)
from core.models.base import utcnow

SCALES = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}
COMMENT_WINDOW = timedelta(minutes=15)


def link_token(pulse: Pulse, *, settings: Settings) -> str:
    return f"{pulse.token}.{_sign(pulse.token, settings)}"


def link(pulse: Pulse, *, settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/pulse/{link_token(pulse, settings=settings)}"


def _sign(token: str, settings: Settings) -> str:
    key = settings.pulse_link_secret.get_secret_value() if settings.pulse_link_secret else ""
    mac = hmac.new(key.encode(), token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:12]).decode().rstrip("=")


async def pulse_by_link(
    session: AsyncSession, *, signed: str, settings: Settings, now: datetime | None = None
) -> Pulse:
    """The pulse behind a signed link; NotFound for a bad signature, InvalidTransition when
    the pulse expired or was never sent."""
    token, _, sig = signed.partition(".")
    if not token or not hmac.compare_digest(sig, _sign(token, settings)):
        raise NotFound("survey", signed[:12])
    stmt = select(Pulse).where(Pulse.token == token).execution_options(populate_existing=True)
    pulse = (await session.exec(stmt)).first()
    if pulse is None:
        raise NotFound("survey", signed[:12])
    if pulse.status not in (PulseStatus.SENT, PulseStatus.ANSWERED) or _expired(pulse, now):
        raise InvalidTransition("this survey has expired")
    return pulse


def _expired(pulse: Pulse, now: datetime | None) -> bool:
    return pulse.status == PulseStatus.EXPIRED or pulse.expires_at <= (now or utcnow())


async def record_answer(
    session: AsyncSession,
    *,
    pulse_id: int,
    settings: Settings,
    csat: int | None = None,
    ces: int | None = None,
    nps: int | None = None,
    comment: str | None = None,
    now: datetime | None = None,
) -> Pulse:
    """Store answers (any subset, again until it expires); a low score, a detractor NPS or a
    negative comment opens a recovery case, and later answers go to it (``recovery``)."""
    pulse = await get_pulse(session, pulse_id)
    if pulse.status not in (PulseStatus.SENT, PulseStatus.ANSWERED) or _expired(pulse, now):
        raise InvalidTransition(f"pulse {pulse_id} is {pulse.status} and takes no answers")
    scores = {"csat": csat, "ces": ces, "nps": nps}
    allowed = {"nps"} if pulse.kind == PulseKind.NPS else {"csat", "ces"}
    for name, value in scores.items():
        if value is None:
            continue
        low, high = SCALES[name]
        if name not in allowed or not low <= value <= high:
            raise InvalidInput(f"{name} must be {low}-{high} on a {pulse.kind} pulse")
        setattr(pulse, name, value)
    if comment is not None:
        pulse.comment = comment.strip()[:2000]
    pulse.status, pulse.answered_at = PulseStatus.ANSWERED, now or utcnow()
    session.add(pulse)
    await session.commit()
    answered = tuple(name for name, value in scores.items() if value is not None)
    await recovery.follow_up(
        session, pulse, settings=settings, answered=answered, comment=pulse.comment and comment
    )
    return pulse


async def handle_callback(
    session: AsyncSession,
    *,
    data: str,
    channel: str,
    external_id: str,
    settings: Settings,
    language: str | None = None,
    now: datetime | None = None,
) -> Prompt | None:
    """A button press ``pulse:<id>:<csat|ces|nps|skip>:<value>``: store it, return what to ask
    next (None when done). Only the pulse's own customer may answer it."""
    try:
        _, raw_id, field, raw_value = data.split(":")
        pulse_id, value = int(raw_id), int(raw_value)
    except ValueError:
        raise InvalidInput(f"not a pulse callback: {data!r}") from None
    pulse = await get_pulse(session, pulse_id)
    if pulse.channel != channel or not await _owns(session, pulse, external_id):
        raise NotFound("pulse", pulse_id)
    if field == "skip":
        await record_answer(session, pulse_id=pulse_id, settings=settings, comment="", now=now)
        return None
    if field not in SCALES:
        raise InvalidInput(f"unknown pulse question {field!r}")
    scores = {name: value if name == field else None for name in SCALES}
    pulse = await record_answer(
        session,
        pulse_id=pulse_id,
        settings=settings,
        now=now,
        csat=scores["csat"],
        ces=scores["ces"],
        nps=scores["nps"],
    )
    return next_prompt(pulse, answered=field, language=language)


async def _owns(session: AsyncSession, pulse: Pulse, external_id: str) -> bool:
    stmt = select(ChannelIdentity.id).where(
        ChannelIdentity.customer_id == pulse.customer_id,
        ChannelIdentity.channel == pulse.channel,
        ChannelIdentity.external_id == external_id,
    )
    return (await session.exec(stmt)).first() is not None


async def awaiting_comment(
    session: AsyncSession, *, channel: str, external_id: str, now: datetime | None = None
) -> Pulse | None:
    """The pulse whose optional comment this customer's next text answers, if any: scored in
    the last 15 minutes, comment neither given nor skipped."""
    now = now or utcnow()
    stmt = (
        select(Pulse)
        .join(ChannelIdentity, ChannelIdentity.customer_id == Pulse.customer_id)  # type: ignore[arg-type]
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_id == external_id,
            Pulse.channel == channel,
            Pulse.status == PulseStatus.ANSWERED,
            col(Pulse.comment).is_(None),
            col(Pulse.answered_at) >= now - COMMENT_WINDOW,
            col(Pulse.expires_at) > now,
            (col(Pulse.ces).is_not(None)) | (col(Pulse.nps).is_not(None)),
        )
        .order_by(col(Pulse.answered_at).desc())
    )
    return (await session.exec(stmt)).first()


async def capture_comment(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    text: str,
    settings: Settings,
    language: str | None = None,
) -> str | None:
    """Store ``text`` as the comment of the pulse awaiting one from this customer. Returns the
    thank-you to send, or None when no pulse awaits a comment (the text is an ordinary message)."""
    pulse = await awaiting_comment(session, channel=channel, external_id=external_id)
    if pulse is None or pulse.id is None:
        return None
    try:
        await record_answer(session, pulse_id=pulse.id, settings=settings, comment=text)
    except InvalidTransition:  # it expired a moment ago
        return None
    customer = await session.get(Customer, pulse.customer_id)
    return pulse_texts.text((customer and customer.language) or language, "thanks")
