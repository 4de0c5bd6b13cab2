"""A seeded, realistic support history across every channel for report consistency tests:
about 150 cases over three months (January to March 2026) on Telegram, the web chat, e-mail,
phone and in store, with escalations, operator replies, reopens, recovery cases, CSAT/CES
pulses (phone and store cases are surveyed by e-mail), NPS rounds on three channels,
compensations in every status, suggestions and promises. Some events fall exactly on a month
boundary, where a half-open window must count them once."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import (
    Author,
    Case,
    CaseEvent,
    CaseStatus,
    Compensation,
    CompensationStatus,
    Customer,
    Direction,
    Message,
    Owner,
    Promise,
    PromiseStatus,
    Pulse,
    PulseKind,
    PulseStatus,
    SuggestionUse,
)

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 4, 1, tzinfo=UTC)
NOW = datetime(2026, 4, 20, tzinfo=UTC)
MONTHS = [START, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), END]
CHANNELS = {"telegram": 5, "web": 3, "email": 2, "phone": 1, "store": 1}
TOPICS = ["delivery", "refund", "payment", "account", "order_change", None]
OPERATORS = ["olga", "ivan", "petr"]
PAID = [CompensationStatus.ISSUED, CompensationStatus.APPROVED]
OTHER = [CompensationStatus.REJECTED, CompensationStatus.PENDING_APPROVAL]


async def build(session: AsyncSession, *, seed: int = 7, cases: int = 150) -> None:
    rnd = random.Random(seed)
    customers = []
    for i in range(30):
        customer = Customer(name=f"Customer {i}", language="en", created_at=START)
        session.add(customer)
        customers.append(customer)
    await session.flush()
    channels = list(CHANNELS)
    weights = list(CHANNELS.values())
    for i in range(cases):
        customer = rnd.choice(customers)
        channel = rnd.choices(channels, weights)[0]
        # every 25th case opens exactly at a month boundary
        opened = MONTHS[i % 3] if i % 25 == 0 else START + (END - START) * rnd.random()
        await _case(session, rnd, customer.id or 0, channel, opened)
    await _nps(session, rnd, [c.id or 0 for c in customers])
    await session.commit()


async def _case(
    session: AsyncSession, rnd: random.Random, customer_id: int, channel: str, opened: datetime
) -> None:
    escalated = rnd.random() < 0.35
    resolved = (
        opened + timedelta(seconds=rnd.uniform(60, 5 * 86400)) if rnd.random() < 0.85 else None
    )
    case = Case(
        customer_id=customer_id,
        origin_channel=channel,
        topic=rnd.choice(TOPICS),
        opened_at=opened,
        first_response_at=opened + timedelta(seconds=rnd.uniform(2, 600)),
        resolved_at=resolved,
        status=CaseStatus.RESOLVED if resolved else CaseStatus.OPEN,
        owner=Owner.HUMAN if escalated and not resolved else Owner.BOT,
        assigned_operator=rnd.choice(OPERATORS) if escalated else None,
        reopen_count=1 if resolved and rnd.random() < 0.1 else 0,
        resolution_code="fixed" if resolved else None,
    )
    session.add(case)
    await session.flush()
    case_id = case.id or 0
    _message(session, case_id, channel, "customer", opened)
    if escalated:
        _message(session, case_id, channel, "system", opened + timedelta(minutes=2), "escalated")
        _message(session, case_id, channel, "operator", opened + timedelta(minutes=9))
        _suggestion(session, rnd, case_id, case.assigned_operator or "olga", opened)
        if rnd.random() < 0.4:
            _compensation(session, rnd, case_id, customer_id, opened)
        if rnd.random() < 0.3:
            _promise(session, rnd, case_id, customer_id, opened)
    if resolved is not None:
        await _pulse(session, rnd, case, resolved)


def _message(
    session: AsyncSession,
    case_id: int,
    channel: str,
    author: str,
    when: datetime,
    event: str | None = None,
) -> None:
    session.add(
        Message(
            case_id=case_id,
            direction=Direction.INTERNAL if author == "system" else Direction.INBOUND,
            channel=channel,
            author=Author(author),
            text=f"the case was {event}" if event else "hello",
            event=CaseEvent(event) if event else None,
            created_at=when,
        )
    )


def _suggestion(
    session: AsyncSession, rnd: random.Random, case_id: int, user: str, opened: datetime
) -> None:
    shown = opened + timedelta(minutes=5)
    accepted = shown + timedelta(minutes=1) if rnd.random() < 0.5 else None
    session.add(
        SuggestionUse(case_id=case_id, user_name=user, shown_at=shown, accepted_at=accepted)
    )


def _compensation(
    session: AsyncSession, rnd: random.Random, case_id: int, customer_id: int, opened: datetime
) -> None:
    session.add(
        Compensation(
            case_id=case_id,
            customer_id=customer_id,
            policy_version=1,
            issue_type="late_delivery",
            value=float(rnd.choice([150, 300, 450, 1000, 1999])),
            status=rnd.choice(PAID + OTHER),
            created_by="olga",
            created_at=opened + timedelta(hours=1),
        )
    )


def _promise(
    session: AsyncSession, rnd: random.Random, case_id: int, customer_id: int, opened: datetime
) -> None:
    session.add(
        Promise(
            case_id=case_id,
            customer_id=customer_id,
            text="a refund within 3 days",
            due_at=opened + timedelta(days=rnd.choice([1, 3, 40])),
            status=rnd.choice(list(PromiseStatus)),
            created_by="olga",
            created_at=opened,
        )
    )


async def _pulse(session: AsyncSession, rnd: random.Random, case: Case, resolved: datetime) -> None:
    sent = rnd.random() < 0.9
    csat = rnd.choice([1, 2, 3, 4, 5, 5, 4]) if sent and rnd.random() < 0.6 else None
    ces = rnd.randint(1, 7) if csat is not None and rnd.random() < 0.7 else None
    recovery = None
    if csat is not None and csat <= 2:
        rec = Case(
            customer_id=case.customer_id,
            origin_channel=case.origin_channel,
            topic=f"recovery: {case.topic or 'unassigned'}",
            opened_at=resolved + timedelta(hours=2),
            assigned_operator="olga",
        )
        session.add(rec)
        await session.flush()
        _message(session, rec.id or 0, case.origin_channel, "system", rec.opened_at, "escalated")
        recovery = rec.id
    channel = (
        case.origin_channel if case.origin_channel in ("telegram", "web", "email") else "email"
    )
    session.add(
        Pulse(
            case_id=case.id,
            customer_id=case.customer_id,
            channel=channel,
            status=PulseStatus.ANSWERED
            if csat
            else (PulseStatus.SENT if sent else PulseStatus.SKIPPED),
            resolved_at=resolved,
            due_at=resolved + timedelta(minutes=1),
            sent_at=resolved + timedelta(minutes=1) if sent else None,
            expires_at=resolved + timedelta(hours=73),
            answered_at=resolved + timedelta(hours=1) if csat else None,
            csat=csat,
            ces=ces,
            recovery_case_id=recovery,
            token=f"pulse-{case.id}",
        )
    )


async def _nps(session: AsyncSession, rnd: random.Random, customer_ids: list[int]) -> None:
    for i in range(40):
        answered = MONTHS[1] if i == 0 else START + (END - START) * rnd.random()
        session.add(
            Pulse(
                customer_id=rnd.choice(customer_ids),
                channel=rnd.choice(["telegram", "email", "web"]),
                kind=PulseKind.NPS,
                status=PulseStatus.ANSWERED,
                due_at=answered,
                sent_at=answered,
                expires_at=answered + timedelta(hours=72),
                answered_at=answered,
                nps=rnd.randint(0, 10),
                token=f"nps-round-{i}",
            )
        )
