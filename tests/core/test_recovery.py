"""Unhappy answers get a person: a detractor NPS, a low CSAT/CES or a negative comment opens one
recovery case with the context; later answers update that same case; a bot answer and a
person's resolution on the same day are surveyed separately. On SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle
from core.config import Settings
from core.feedback import pulse_answers, recovery, recovery_report, surveys
from core.models import (
    Case,
    ChannelIdentity,
    Customer,
    Message,
    Pulse,
    PulseKind,
    PulseStatus,
)
from core.reports.query import ReportFilter

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def _settings(**overrides: object) -> Settings:
    return Settings(env="test", _env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


async def _customer(session: AsyncSession) -> int:
    customer = Customer(name="Mara", language="ro")
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    session.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id="5"))
    await session.commit()
    return customer.id


async def _resolved(
    session: AsyncSession, customer_id: int, *, at: datetime, by: str = "bot", topic: str = "late"
) -> Case:
    case = await lifecycle.open_case(
        session, customer_id=customer_id, channel="telegram", topic=topic, now=at - timedelta(1)
    )
    assert case.id is not None
    if by != "bot":
        await lifecycle.escalate(session, case_id=case.id, reason="asked for a person")
        await lifecycle.assign(session, case_id=case.id, operator=by)
    return await lifecycle.resolve(
        session, case_id=case.id, code="refunded", resolution="Refund sent", by=by, now=at
    )


async def _sent(session: AsyncSession, pulse: Pulse, at: datetime = T0) -> Pulse:
    pulse.status, pulse.sent_at = PulseStatus.SENT, at
    pulse.expires_at = at + timedelta(days=3)
    session.add(pulse)
    await session.commit()
    return pulse


async def _notes(session: AsyncSession, case_id: int) -> list[str]:
    stmt = select(Message.text).where(Message.case_id == case_id, Message.event == "recovery")
    return list((await session.exec(stmt.order_by(col(Message.id)))).all())


async def test_a_detractor_nps_opens_a_recovery_case_with_the_context(
    any_session: AsyncSession,
) -> None:
    settings = _settings()
    customer_id = await _customer(any_session)
    await _resolved(any_session, customer_id, at=T0 - timedelta(days=5), by="olga")
    nps = Pulse(
        customer_id=customer_id,
        channel="telegram",
        kind=PulseKind.NPS,
        token=secrets.token_urlsafe(16),
        round_key="2026Q1",
    )
    any_session.add(nps)
    await any_session.commit()
    pulse = await _sent(any_session, nps)

    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, nps=3, now=T0
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is not None
    case = await lifecycle.get_case(any_session, pulse.recovery_case_id)
    assert (case.owner, case.status, case.topic) == ("human", "open", "recovery: late")
    [context] = await _notes(any_session, case.id or 0)
    assert context.startswith("Detractor in the NPS round (NPS 3/10).")
    assert "Refund sent" in context and "resolved by olga" in context

    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, comment="Prea lent", now=T0
    )
    assert (await _notes(any_session, case.id or 0))[1:] == ["Customer comment: Prea lent"]


async def test_passives_and_promoters_open_nothing(any_session: AsyncSession) -> None:
    settings = _settings()
    customer_id = await _customer(any_session)
    for score in (7, 10):
        pulse = Pulse(
            customer_id=customer_id,
            channel="telegram",
            kind=PulseKind.NPS,
            token=secrets.token_urlsafe(16),
        )
        any_session.add(pulse)
        await any_session.commit()
        await _sent(any_session, pulse)
        await pulse_answers.record_answer(
            any_session, pulse_id=pulse.id or 0, settings=settings, nps=score, now=T0
        )
        await any_session.refresh(pulse)
        assert pulse.recovery_case_id is None


async def test_a_negative_comment_alone_opens_a_recovery_case(any_session: AsyncSession) -> None:
    settings = _settings()
    customer_id = await _customer(any_session)
    case = await _resolved(any_session, customer_id, at=T0)
    pulse = await _sent(
        any_session, await surveys.schedule_pulse(any_session, case_id=case.id or 0)
    )
    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, csat=4, ces=6, now=T0
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is None
    await pulse_answers.record_answer(
        any_session,
        pulse_id=pulse.id or 0,
        settings=settings,
        comment="Curierul a fost groaznic",
        now=T0,
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is not None
    [context] = await _notes(any_session, pulse.recovery_case_id)
    assert "CSAT 4/5, CES 6/7" in context and "Comment: Curierul a fost groaznic" in context


def test_negative_comments_in_four_languages() -> None:
    for text in (
        "Ужасное обслуживание",
        "Жахливо, більше ніколи",
        "Sunt dezamăgit",
        "The courier was rude",
    ):
        assert recovery.is_negative(text), text
    for text in ("Спасибо, всё отлично", "Дякую!", "Mulțumesc, totul bine", "Quick, thanks"):
        assert not recovery.is_negative(text), text


async def test_a_bot_answer_and_a_persons_resolution_the_same_day_each_get_a_pulse(
    any_session: AsyncSession,
) -> None:
    settings = _settings(pulse_min_interval_days=7)
    customer_id = await _customer(any_session)
    by_bot = await _resolved(any_session, customer_id, at=T0)
    by_person = await _resolved(any_session, customer_id, at=T0 + timedelta(hours=3), by="olga")
    again_bot = await _resolved(any_session, customer_id, at=T0 + timedelta(hours=5))
    pulses = [
        await surveys.schedule_pulse(any_session, case_id=c.id or 0, settings=settings)
        for c in (by_bot, by_person, again_bot)
    ]
    assert [(p.status, p.skip_reason) for p in pulses] == [
        ("scheduled", None),
        ("scheduled", None),  # a person's resolution is not swallowed by the bot's pulse
        ("skipped", "recent_pulse"),  # a second bot answer that day is
    ]


async def test_the_recovery_outcome_is_reported(any_session: AsyncSession) -> None:
    settings = _settings()
    customer_id = await _customer(any_session)
    case = await _resolved(any_session, customer_id, at=T0)
    pulse = await _sent(
        any_session, await surveys.schedule_pulse(any_session, case_id=case.id or 0)
    )
    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, csat=1, now=T0
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is not None
    rescued = await lifecycle.get_case(any_session, pulse.recovery_case_id)
    opened = rescued.opened_at
    await lifecycle.resolve(
        any_session,
        case_id=pulse.recovery_case_id,
        code="apologised",
        by="olga",
        now=opened + timedelta(hours=2),
    )
    filters = ReportFilter(start=opened - timedelta(minutes=1))
    report = await recovery_report.recovery_outcomes(
        any_session, filters=filters, settings=settings
    )
    assert report["recovery_opened"] == report["recovery_resolved"] == 1
    assert report["recovery_triggers"] == {"csat": 1}
    assert report["recovery_outcomes"] == {"apologised": 1}
    assert report["recovery_ttr_p50_s"] == 7200.0
    assert report["recovery_surveyed_after"] == 0 and report["recovery_won_back_rate"] is None

    later_case = await _resolved(any_session, customer_id, at=opened + timedelta(days=9))
    later = await surveys.schedule_pulse(any_session, case_id=later_case.id or 0)
    await _sent(any_session, later, at=opened + timedelta(days=9))
    await pulse_answers.record_answer(
        any_session, pulse_id=later.id or 0, settings=settings, csat=5, now=opened + timedelta(10)
    )
    report = await recovery_report.recovery_outcomes(
        any_session, filters=filters, settings=settings
    )
    assert report["recovery_surveyed_after"] == 1 and report["recovery_won_back_rate"] == 1.0
