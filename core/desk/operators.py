"""What an operator does on a case: open it, take it, reply to the customer, write notes,
resolve it, hand it back to the bot. Ownership changes go through the state machine in ``cases``.

Replies go out through the ``OutboundChannel`` for the case's channel when the caller has one;
otherwise they are queued as a pending ``OutboundDelivery``: a worker sends Telegram ones, and
e-mail ones once SMTP is configured; the visitor's page fetches web chat ones once the web chat
is on (``Settings.queued_channels``). A reply on any other channel (phone, store) is refused
(:class:`~core.errors.ChannelUndeliverable`) rather than left pending forever.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import i18n
from core.cases import lifecycle, reasons
from core.compensation.case_context import load_case_context
from core.customers import timeline
from core.errors import ChannelUndeliverable, InvalidInput, InvalidTransition
from core.feedback import history, surveys
from core.learning import candidates
from core.models import (
    Author,
    Case,
    CaseStatus,
    ChannelIdentity,
    DeliveryStatus,
    Direction,
    Incident,
    Message,
    MessageMeta,
    OutboundDelivery,
    Owner,
    Pulse,
    User,
)
from core.models.base import utcnow
from core.platform import auth, deliveries, updates
from core.ports import CrmConnector, OutboundChannel, Retriever

INLINE = "inline"
"""The claim owner of a reply sent by the request that made it."""
QUEUED_CHANNELS = (updates.TELEGRAM,)
"""Channels whose queued replies the bot or worker process sends."""


async def list_cases(
    session: AsyncSession,
    *,
    user: User,
    status: str | None = None,
    owner: str | None = None,
    assigned_to: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Case]:
    """Cases the user may see, oldest first. Operators see theirs and unassigned ones."""
    stmt = select(Case)
    if status:
        stmt = stmt.where(Case.status == status)
    if owner:
        stmt = stmt.where(Case.owner == owner)
    if assigned_to == "none":
        stmt = stmt.where(col(Case.assigned_operator).is_(None))
    elif assigned_to:
        stmt = stmt.where(Case.assigned_operator == assigned_to)
    visible = auth.visible_cases(user)
    if visible is not None:
        stmt = stmt.where(visible)
    stmt = stmt.order_by(col(Case.opened_at), col(Case.id)).offset(offset).limit(limit)
    return list((await session.exec(stmt)).all())


async def console_queue(session: AsyncSession, *, user: User, bot_limit: int = 20) -> list[Case]:
    """The console's queue: the open, then the pending cases with a person, then the first
    ``bot_limit`` open ones with the bot; those the user may see."""
    rows = []
    for status in (CaseStatus.OPEN, CaseStatus.PENDING):
        rows += await list_cases(session, user=user, status=status, owner=Owner.HUMAN)
    return rows + await list_cases(
        session, user=user, status=CaseStatus.OPEN, owner=Owner.BOT, limit=bot_limit
    )


async def accessible_case(session: AsyncSession, *, case_id: int, user: User) -> Case:
    case = await lifecycle.get_case(session, case_id)
    auth.require_case_access(user, case)
    return case


@dataclass(frozen=True, slots=True)
class DeskCaseView(timeline.CaseView):
    """The case view with the customer's past feedback (CSAT/CES/NPS and comments), the
    customer's language (their own, else the one they write in: offers and money on the case
    are worded in it) and the issue types of the active compensation policy."""

    feedback: list[Pulse] = field(default_factory=list)
    language: str = i18n.DEFAULT
    issue_types: Mapping[str, Any] = field(default_factory=dict)
    incident: Incident | None = None
    """The incident the customer wrote about on this case, with its compensation."""


async def case_view(
    session: AsyncSession, *, case_id: int, user: User, crm: CrmConnector | None = None
) -> DeskCaseView:
    """What the user sees on opening a case they may act on (one case context, one CRM call),
    with the personal data they may see (``auth.disclosure_for``) and the customer's feedback."""
    context = await load_case_context(session, case_id=case_id, crm=crm, user=user)
    disclosure = auth.disclosure_for(user, context.case)
    view = await timeline.case_view(session, context=context, disclosure=disclosure)
    parts = {f.name: getattr(view, f.name) for f in fields(view)}
    feedback = await history.customer_feedback(session, customer_id=context.customer_id)
    words = " ".join(m.text for m in view.timeline if m.author == Author.CUSTOMER)
    about = context.case.incident_id
    incident = await session.get(Incident, about) if about is not None else None
    return DeskCaseView(
        **parts,
        feedback=feedback,
        language=i18n.language_of(context.customer.language or i18n.detect_language(words)),
        issue_types=context.policy.document.get("issue_types", {}),
        incident=incident,
    )


async def assign_case(
    session: AsyncSession, *, case_id: int, user: User, operator: str | None = None
) -> Case:
    """Assign to ``operator`` (supervisors) or take it yourself; a bot case is escalated first."""
    target = operator or user.name
    if target != user.name:
        auth.require_role(user, auth.SUPERVISING)
        await auth.get_user_by_name(session, target)
    case = await accessible_case(session, case_id=case_id, user=user)
    if case.owner == Owner.BOT and case.status in lifecycle.ACTIVE:
        await lifecycle.escalate(session, case_id=case_id, reason=f"taken by {user.name}")
    return await lifecycle.assign(session, case_id=case_id, operator=target)


async def add_note(session: AsyncSession, *, case_id: int, user: User, text: str) -> Message:
    case = await accessible_case(session, case_id=case_id, user=user)
    return await _store(session, case, Direction.INTERNAL, user, text, MessageMeta(note=True))


async def reply(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    text: str,
    outbound: Mapping[str, OutboundChannel] | None = None,
    queued: Collection[str] = QUEUED_CHANNELS,
) -> Message:
    """Send ``text`` to the customer on the case's channel; the case becomes the user's.
    ``queued``: the channels a worker sends for (``Settings.queued_channels``)."""
    case = await accessible_case(session, case_id=case_id, user=user)
    if case.status not in lifecycle.ACTIVE:
        raise InvalidTransition(f"case {case_id} is {case.status}; reopen it before replying")
    identity = await _identity(session, case)
    deliverable = sorted({*queued, *(outbound or {})})
    if identity.channel not in deliverable:
        raise ChannelUndeliverable(case_id, identity.channel, deliverable)
    if case.assigned_operator is None:
        case = await assign_case(session, case_id=case_id, user=user)
    message = await _store(
        session,
        case,
        Direction.OUTBOUND,
        user,
        text,
        MessageMeta(delivery=DeliveryStatus.PENDING),
        identity.channel,
    )
    case.first_response_at = case.first_response_at or utcnow()
    session.add(case)
    await session.commit()
    channel = (outbound or {}).get(identity.channel)
    delivery = await deliveries.record(
        session,
        external_id=identity.external_id,
        text=text,
        message_id=message.id,
        channel=identity.channel,
        owner=None if channel is None else INLINE,
    )
    if channel is not None and delivery.status == DeliveryStatus.SENDING:
        await _send_now(session, channel, delivery)
    return message


async def resolve_case(
    session: AsyncSession,
    *,
    case_id: int,
    user: User,
    resolution: str,
    resolution_code: str,
    knowledge_entry_id: str | None = None,
    new_entry: candidates.NewEntry | None = None,
    retriever: Retriever | None = None,
    choice: candidates.PhrasingChoice | None = None,
    region: str = "RU",
    contact_reason: str | None = None,
    taxonomy: reasons.Taxonomy | None = None,
) -> Case:
    """Resolve; a linked ``knowledge_entry_id`` or a ``new_entry`` proposes the customer's
    question (or the operator's ``choice``), masked, as a knowledge candidate for a supervisor
    (``core.learning.candidates``). ``contact_reason`` confirms or changes the case's reason;
    without one, a case that has none gets one automatically (``core.cases.reasons``)."""
    await accessible_case(session, case_id=case_id, user=user)
    taxonomy = taxonomy or reasons.load()
    if contact_reason is not None:
        reasons.check(taxonomy, contact_reason)
    if knowledge_entry_id is not None and new_entry is not None:
        raise InvalidInput("link a knowledge entry or write a new one, not both")
    if knowledge_entry_id is not None:  # unknown entry: 404 before anything changes
        await candidates.known_entry(session, entry_id=knowledge_entry_id, retriever=retriever)
    case = await lifecycle.resolve(
        session,
        case_id=case_id,
        resolution=resolution,
        code=resolution_code,
        by=user.name,
        knowledge_entry_id=knowledge_entry_id,
        contact_reason=contact_reason,
    )
    case = await reasons.assign(session, case_id=case_id, taxonomy=taxonomy)
    if knowledge_entry_id is not None or new_entry is not None:
        await candidates.propose_from_resolution(
            session,
            case_id=case_id,
            user=user,
            retriever=retriever,
            entry_id=knowledge_entry_id,
            new_entry=new_entry,
            choice=choice,
            region=region,
        )
    await surveys.schedule_pulse(session, case_id=case_id)  # the worker applies the policy
    return case


async def hand_back_case(session: AsyncSession, *, case_id: int, user: User) -> Case:
    await accessible_case(session, case_id=case_id, user=user)
    return await lifecycle.hand_back(session, case_id=case_id, operator=user.name)


async def _send_now(
    session: AsyncSession, channel: OutboundChannel, delivery: OutboundDelivery
) -> None:
    """Send through the caller's channel; the log records the outcome (and the message's)."""
    assert delivery.id is not None
    await deliveries.begin_attempt(session, delivery_id=delivery.id, owner=INLINE)
    result = await channel.send(delivery.external_id, delivery.text)
    outcome = deliveries.Outcome(
        deliveries.OutcomeKind.SENT if result.ok else deliveries.OutcomeKind.REFUSED,
        error=None if result.ok else (result.error or "delivery failed"),
        provider_message_id=result.external_id,
    )
    await deliveries.settle(session, delivery_id=delivery.id, owner=INLINE, outcome=outcome)


async def _identity(session: AsyncSession, case: Case) -> ChannelIdentity:
    """Where the customer is reached: the case's channel, else any identity they have."""
    stmt = select(ChannelIdentity).where(ChannelIdentity.customer_id == case.customer_id)
    rows = list((await session.exec(stmt.order_by(col(ChannelIdentity.id)))).all())
    for row in rows:
        if row.channel == case.origin_channel:
            return row
    if not rows:
        raise InvalidInput(f"the customer of case {case.id} has no channel to reply on")
    return rows[0]


async def _store(
    session: AsyncSession,
    case: Case,
    direction: Direction,
    user: User,
    text: str,
    meta: MessageMeta,
    channel: str | None = None,
) -> Message:
    assert case.id is not None
    if not text.strip():
        raise InvalidInput("text is empty")
    message = Message(
        case_id=case.id,
        direction=direction,
        channel=channel or case.origin_channel,
        author=Author.OPERATOR,
        author_ref=user.name,
        text=text,
        meta=meta,
    )
    session.add(message)
    await session.commit()
    return message
