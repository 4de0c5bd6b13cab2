"""A small support history with hand-computed report figures (see EXPECTED and docs/metrics.md).

Window: [2026-03-01, 2026-03-15), report time NOW = 2026-03-20 12:00 UTC.

case  customer channel  topic     opened      1st resp  resolved     person           reopen
c1    A        telegram delivery  03-02 10:00  +30 s     +600 s       -                0
c2    A        telegram delivery  03-03 09:00  +120 s    +3600 s      esc 09:01, olga  0
c3    B        telegram refund    03-04 08:00  +60 s     +14400 s     op msg 08:30,ivan 1
c4    C        email    refund    03-05 10:00  -         +86400 s     esc 10:00, olga  0
c5    B        telegram delivery  03-10 10:00  +10 s     +345600 s    -                0
c6    A        telegram -         03-12 10:00  +60 s     open         esc 10:05        0
c7    A        telegram -         02-20 00:00  +20 s     +777600 s    -                0
c8    C        web      -         03-14 23:00  -         03-15 01:00  -                0
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import (
    Case,
    CaseEvent,
    ChannelIdentity,
    Compensation,
    Customer,
    Message,
    Promise,
    Pulse,
    SuggestionUse,
)

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
START = datetime(2026, 3, 1, tzinfo=UTC)
END = datetime(2026, 3, 15, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


S = timedelta(seconds=1)
CASES: dict[str, dict[str, Any]] = {
    "c1": dict(cust="A", ch="telegram", topic="delivery", opened=at(2, 10), fr=30, ttr=600),
    "c2": dict(cust="A", ch="telegram", topic="delivery", opened=at(3, 9), fr=120, ttr=3600,
               op="olga", esc=at(3, 9, 1), op_msg=at(3, 9, 5)),
    "c3": dict(cust="B", ch="telegram", topic="refund", opened=at(4, 8), fr=60, ttr=14400,
               op="ivan", op_msg=at(4, 8, 30), reopen=1),
    "c4": dict(cust="C", ch="email", topic="refund", opened=at(5, 10), ttr=86400, op="olga",
               esc=at(5, 10)),
    "c5": dict(cust="B", ch="telegram", topic="delivery", opened=at(10, 10), fr=10, ttr=345600),
    "c6": dict(cust="A", ch="telegram", opened=at(12, 10), fr=60, esc=at(12, 10, 5)),
    "c7": dict(cust="A", ch="telegram", opened=at(20, month=2), fr=20, ttr=777600),
    "c8": dict(cust="C", ch="web", opened=at(14, 23), ttr=7200),
}  # fmt: skip

EXPECTED: dict[str, Any] = {
    "cases_opened": 7,  # c1-c6, c8
    "escalations": 3,  # c2, c4, c6
    "escalation_rate": 3 / 7,
    "frt_p50_s": 60.0,  # [10, 30, 60, 60, 120]
    "cases_resolved": 6,  # c1-c5, c7
    "bot_contained": 3,  # c1, c5, c7
    "bot_containment_rate": 0.5,
    "ttr_p50_s": 50400.0,  # [600, 3600, 14400 | 86400, 345600, 777600]: (14400 + 86400) / 2
    "ttr_p90_s": 561600.0,  # rank 4.5: (345600 + 777600) / 2
    "aht_p50_s": 12600.0,  # c2 3540, c3 12600, c4 86400
    "reopen_rate": 1 / 6,  # c3
    "durable_resolution_rate": 0.8,  # matured c1 c2 c3 c4 c7 (not c5); c3 reopened
    "pulses_sent": 4,  # p1-p4 (p5 skipped, p7 failed)
    "pulses_answered": 3,  # p1, p2, p4
    "pulse_response_rate": 0.75,
    "csat_avg": 11 / 3,  # 5, 2, 4
    "csat_pct_satisfied": 2 / 3,
    "ces_avg": 5.0,  # 7, 3
    "recovery_cases": 1,  # p2
    "nps_responses": 4,  # 10, 9, 8, 6 (the 0 on 03-16 is outside)
    "nps": 25.0,  # (2 promoters - 1 detractor) / 4
    "compensation_total": 800.0,  # 500 issued + 300 approved
    "suggestions_shown": 4,
    "suggestion_acceptance_rate": 0.5,
    "promises_overdue": 1,  # pr1
}
EXPECTED_TELEGRAM = {
    "cases_opened": 5,
    "escalation_rate": 2 / 5,
    "cases_resolved": 5,
    "bot_containment_rate": 3 / 5,
    "compensation_total": 800.0,
}
EXPECTED_OLGA = {"cases_resolved": 2, "bot_containment_rate": 0.0, "ttr_p50_s": 45000.0}
EXPECTED_CHURN = [("A", 11), ("B", 8), ("C", 6)]


async def build(session: AsyncSession) -> dict[str, int]:
    """Insert the history; returns the ids by name (customers "A".."C", cases "c1".."c8")."""
    ids: dict[str, int] = {}
    for name, channel in (("A", "telegram"), ("B", "telegram"), ("C", "email")):
        customer = Customer(name=name, language="en", created_at=at(1, month=1))
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        ids[name] = customer.id
        session.add(ChannelIdentity(customer_id=customer.id, channel=channel, external_id=name))
    for name, spec in CASES.items():
        ids[name] = await _case(session, ids[spec["cust"]], spec)
    await _pulses(session, ids)
    await _money(session, ids)
    await session.commit()
    return ids


async def _case(session: AsyncSession, customer_id: int, spec: dict[str, Any]) -> int:
    opened: datetime = spec["opened"]
    resolved = opened + spec["ttr"] * S if "ttr" in spec else None
    case = Case(
        customer_id=customer_id,
        origin_channel=spec["ch"],
        topic=spec.get("topic"),
        opened_at=opened,
        first_response_at=opened + spec["fr"] * S if "fr" in spec else None,
        resolved_at=resolved,
        status="resolved" if resolved else "open",
        owner="bot" if resolved or "esc" not in spec else "human",
        assigned_operator=spec.get("op"),
        reopen_count=spec.get("reopen", 0),
        resolution_code="fixed" if resolved else None,
    )
    session.add(case)
    await session.flush()
    assert case.id is not None

    def msg(author: str, text: str, when: datetime, direction: str = "in") -> None:
        session.add(
            Message(
                case_id=case.id or 0,
                direction=direction,
                channel=spec["ch"],
                author=author,
                # a system entry's text is for people; reports read its event
                text=f"the case was {text}" if author == "system" else text,
                event=CaseEvent(text) if author == "system" else None,
                created_at=when,
            )
        )

    msg("customer", "hello", opened)
    msg("bot", "answer", opened + 5 * S, "out")
    msg("system", "opened", opened, "internal")
    if "esc" in spec:
        msg("system", "escalated", spec["esc"], "internal")
    if "op_msg" in spec:
        msg("operator", "on it", spec["op_msg"], "out")
    return case.id


async def _pulses(session: AsyncSession, ids: dict[str, int]) -> None:
    cases = {name: await session.get(Case, ids[name]) for name in CASES}

    def pulse(case: str, status: str, sent: bool, **scores: Any) -> Pulse:
        c = cases[case]
        assert c is not None and c.resolved_at is not None
        p = Pulse(
            case_id=c.id,
            customer_id=c.customer_id,
            channel=c.origin_channel,
            status=status,
            resolved_at=c.resolved_at,
            due_at=c.resolved_at + timedelta(minutes=1),
            sent_at=c.resolved_at + timedelta(minutes=1) if sent else None,
            expires_at=c.resolved_at + timedelta(hours=73),
            answered_at=c.resolved_at + timedelta(hours=1) if scores else None,
            token=f"t-{case}",
            **scores,
        )
        session.add(p)
        return p

    pulse("c1", "answered", True, csat=5, ces=7)
    pulse("c2", "answered", True, csat=2, ces=3).recovery_case_id = ids["c6"]
    pulse("c3", "expired", True)
    pulse("c4", "answered", True, csat=4)
    pulse("c5", "skipped", False)
    pulse("c7", "failed", False)
    pulse("c8", "answered", True, csat=1)
    for i, (cust, score, day) in enumerate(
        (("A", 10, 5), ("B", 9, 6), ("C", 8, 7), ("C", 6, 8), ("B", 0, 16))
    ):
        session.add(
            Pulse(
                customer_id=ids[cust],
                channel="telegram",
                kind="nps",
                status="answered",
                due_at=at(day),
                sent_at=at(day),
                expires_at=at(day) + timedelta(hours=72),
                answered_at=at(day, 1),
                nps=score,
                token=f"nps-{i}",
            )
        )
    await session.flush()


async def _money(session: AsyncSession, ids: dict[str, int]) -> None:
    for case, value, status, day in (
        ("c2", 500.0, "issued", at(3, 12)),
        ("c3", 300.0, "approved", at(4, 12)),
        ("c4", 1000.0, "rejected", at(5, 12)),
        ("c4", 200.0, "pending_approval", at(5, 13)),
        ("c1", 100.0, "issued", at(28, month=2)),
    ):
        c = await session.get(Case, ids[case])
        assert c is not None
        session.add(
            Compensation(
                case_id=ids[case],
                customer_id=c.customer_id,
                policy_version=1,
                issue_type="late_delivery",
                value=value,
                status=status,
                created_by="olga",
                created_at=day,
            )
        )
    for case, user, day, accepted in (
        ("c2", "olga", at(3, 9, 10), True),
        ("c3", "ivan", at(4, 8, 20), False),
        ("c4", "olga", at(5, 10, 5), True),
        ("c6", "olga", at(12, 10, 6), False),
    ):
        session.add(
            SuggestionUse(
                case_id=ids[case],
                user_name=user,
                shown_at=day,
                accepted_at=day + timedelta(minutes=1) if accepted else None,
                ref="draft" if accepted else None,
            )
        )
    for case, status, due in (
        ("c2", "open", at(10)),
        ("c3", "broken", at(5)),
        ("c4", "open", at(25)),
        ("c6", "open", at(25, month=2)),
        ("c3", "kept", at(6)),
    ):
        c = await session.get(Case, ids[case])
        assert c is not None
        session.add(
            Promise(
                case_id=ids[case],
                customer_id=c.customer_id,
                text="promise",
                due_at=due,
                status=status,
                created_by="olga",
                created_at=due - timedelta(days=2),
            )
        )


ALL_TIME = {
    "cases_opened": 8,  # c1-c8
    "escalations": 3,  # c2, c4, c6
    "escalation_rate": 3 / 8,
    "cases_resolved": 7,  # c1-c5, c7, c8
    "bot_contained": 4,  # c1, c5, c7, c8
    "compensation_total": 900.0,  # 500 + 300 + 100 (c1, 02-28)
    "nps_responses": 5,
}
"""The figures over all time: no window, or a window that holds everything."""
