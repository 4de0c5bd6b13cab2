"""Pulses: one per resolution, policy (sampling, per-customer interval, delay, expiry), sending by
the worker exactly once, answers, recovery cases on low scores, signed links, NPS cadence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.cases import lifecycle, promises
from core.config import Settings
from core.desk import operators
from core.errors import InvalidInput, InvalidTransition, NotFound
from core.feedback import pulse_answers, surveys
from core.models import Case, ChannelIdentity, Customer, Message, PromiseStatus, Pulse, User
from core.ports import Delivery
from core.worker import run_worker_once

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@dataclass
class RecordingChannel:
    """Stands in for a messenger's send API (the process boundary); records every send."""

    channel: str = "telegram"
    sent: list[tuple[str, str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    ok: bool = True

    async def send(
        self, external_id: str, text: str, *, buttons: Sequence[tuple[str, str]] = ()
    ) -> Delivery:
        self.sent.append((external_id, text, tuple(buttons)))
        return Delivery(ok=self.ok, external_id="m1", error=None if self.ok else "blocked")


def _settings(**overrides: object) -> Settings:
    return Settings(env="test", _env_file=None, **overrides)  # type: ignore[call-arg, arg-type]


async def _resolved_case(
    session: AsyncSession,
    *,
    channel: str = "telegram",
    external_id: str = "777",
    customer: Customer | None = None,
    at: datetime = T0,
    topic: str | None = "delivery",
) -> Case:
    if customer is None:
        customer = Customer(name="Nina", language="en")
        session.add(customer)
        await session.flush()
        assert customer.id is not None
        session.add(
            ChannelIdentity(customer_id=customer.id, channel=channel, external_id=external_id)
        )
        await session.commit()
    assert customer.id is not None
    case = await lifecycle.open_case(
        session, customer_id=customer.id, channel=channel, topic=topic, now=at - timedelta(hours=1)
    )
    assert case.id is not None
    return await lifecycle.resolve(session, case_id=case.id, code="answered", now=at)


async def test_operator_resolution_schedules_one_pulse_sent_once_after_the_delay(
    any_engine: AsyncEngine, any_session: AsyncSession
) -> None:
    factory = db.session_factory(any_engine)
    customer = Customer(name="Nina", language="en")
    any_session.add(customer)
    await any_session.flush()
    assert customer.id is not None
    any_session.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id="42"))
    user = User(name="olga", role="operator")
    any_session.add(user)
    await any_session.commit()
    case = await lifecycle.open_case(any_session, customer_id=customer.id, channel="telegram")
    assert case.id is not None
    await operators.resolve_case(
        any_session, case_id=case.id, user=user, resolution="done", resolution_code="fixed"
    )
    pulse = (await any_session.exec(select(Pulse))).one()
    assert pulse.status == "new" and pulse.case_id == case.id and pulse.channel == "telegram"

    telegram = RecordingChannel()
    settings = _settings()
    resolved = pulse.resolved_at
    assert resolved is not None
    early = await run_worker_once(
        factory, settings=settings, outbound={"telegram": telegram}, now=resolved
    )
    assert early.decided == 1 and early.sent == 0 and telegram.sent == []
    later = resolved + timedelta(seconds=61)
    done = await run_worker_once(
        factory, settings=settings, outbound={"telegram": telegram}, now=later
    )
    assert done.sent == 1
    external_id, text, buttons = telegram.sent[0]
    assert external_id == "42" and "satisfied" in text
    assert [label for label, _ in buttons] == ["1", "2", "3", "4", "5"]
    assert buttons[4][1] == f"pulse:{pulse.id}:csat:5"
    again = await run_worker_once(
        factory, settings=settings, outbound={"telegram": telegram}, now=later + timedelta(1)
    )
    assert again.sent == 0 and len(telegram.sent) == 1
    await any_session.refresh(pulse)
    assert pulse.status == "sent" and pulse.sent_at == later
    assert pulse.expires_at == later + timedelta(hours=72)


async def test_one_pulse_per_resolution_and_a_new_one_after_reopening(
    any_session: AsyncSession,
) -> None:
    settings = _settings(pulse_min_interval_days=0)
    case = await _resolved_case(any_session)
    assert case.id is not None
    first = await surveys.schedule_pulse(any_session, case_id=case.id, settings=settings, now=T0)
    same = await surveys.schedule_pulse(any_session, case_id=case.id, settings=settings, now=T0)
    assert first.id == same.id and first.status == "scheduled"
    assert first.due_at == T0 + timedelta(seconds=60)
    assert first.expires_at == first.due_at + timedelta(hours=72)
    await lifecycle.reopen(
        any_session, case_id=case.id, settings=settings, now=T0 + timedelta(hours=1)
    )
    await lifecycle.resolve(any_session, case_id=case.id, now=T0 + timedelta(hours=2))
    second = await surveys.schedule_pulse(any_session, case_id=case.id, settings=settings)
    assert second.id != first.id and second.resolved_at == T0 + timedelta(hours=2)
    open_case = await lifecycle.open_case(any_session, customer_id=case.customer_id, channel="web")
    with pytest.raises(InvalidTransition):
        await surveys.schedule_pulse(any_session, case_id=open_case.id or 0)


async def test_policy_skips_recent_customers_sampled_out_and_merged(
    any_session: AsyncSession,
) -> None:
    settings = _settings(pulse_min_interval_days=7)
    first = await _resolved_case(any_session)
    customer = await any_session.get(Customer, first.customer_id)
    second = await _resolved_case(any_session, customer=customer, at=T0 + timedelta(days=3))
    third = await _resolved_case(any_session, customer=customer, at=T0 + timedelta(days=8))
    p1, p2, p3 = [
        await surveys.schedule_pulse(any_session, case_id=c.id or 0) for c in (first, second, third)
    ]
    assert await surveys.apply_policy(any_session, settings=settings) == 3
    for p in (p1, p2, p3):
        await any_session.refresh(p)
    assert (p1.status, p2.status, p3.status) == ("scheduled", "skipped", "scheduled")
    assert p2.skip_reason == "recent_pulse"

    none = _settings(pulse_sample_rate=0.0)
    other = await _resolved_case(any_session, external_id="778")
    sampled_out = await surveys.schedule_pulse(any_session, case_id=other.id or 0, settings=none)
    assert (sampled_out.status, sampled_out.skip_reason) == ("skipped", "sampled_out")
    assert surveys.sampled(5, T0, 0.5) == surveys.sampled(5, T0, 0.5)
    hits = sum(surveys.sampled(i, T0, 0.3) for i in range(2000))
    assert 500 < hits < 700

    merged = await _resolved_case(any_session, external_id="779")
    merged.resolution_code = "merged"
    any_session.add(merged)
    await any_session.commit()
    skipped = await surveys.schedule_pulse(any_session, case_id=merged.id or 0, settings=settings)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "merged")


async def _sent_pulse(session: AsyncSession, settings: Settings, **kw: object) -> Pulse:
    case = await _resolved_case(session, **kw)  # type: ignore[arg-type]
    pulse = await surveys.schedule_pulse(session, case_id=case.id or 0, settings=settings, now=T0)
    (claimed,) = await surveys.claim_due(session, now=pulse.due_at)
    return await surveys.mark_sent(session, pulse_id=claimed.id or 0, settings=settings, now=T0)


async def test_telegram_answers_flow_csat_ces_comment(any_session: AsyncSession) -> None:
    settings = _settings()
    pulse = await _sent_pulse(any_session, settings)
    step = await pulse_answers.handle_callback(
        any_session,
        data=f"pulse:{pulse.id}:csat:5",
        channel="telegram",
        external_id="777",
        settings=settings,
        now=T0,
    )
    assert step is not None and "easy" in step.text and len(step.buttons) == 7
    assert step.buttons[0][1] == f"pulse:{pulse.id}:ces:1"
    with pytest.raises(NotFound):
        await pulse_answers.handle_callback(
            any_session,
            data=f"pulse:{pulse.id}:ces:6",
            channel="telegram",
            external_id="999",
            settings=settings,
            now=T0,
        )
    step = await pulse_answers.handle_callback(
        any_session,
        data=f"pulse:{pulse.id}:ces:6",
        channel="telegram",
        external_id="777",
        settings=settings,
        now=T0,
    )
    assert step is not None and step.buttons == (("Skip", f"pulse:{pulse.id}:skip:0"),)
    waiting = await pulse_answers.awaiting_comment(
        any_session, channel="telegram", external_id="777", now=T0 + timedelta(minutes=5)
    )
    assert waiting is not None and waiting.id == pulse.id
    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, comment=" Quick, thanks ", now=T0
    )
    await any_session.refresh(pulse)
    assert (pulse.status, pulse.csat, pulse.ces, pulse.comment) == (
        "answered",
        5,
        6,
        "Quick, thanks",
    )
    assert pulse.recovery_case_id is None
    assert (
        await pulse_answers.awaiting_comment(any_session, channel="telegram", external_id="777")
        is None
    )
    with pytest.raises(InvalidInput):
        await pulse_answers.record_answer(
            any_session, pulse_id=pulse.id or 0, settings=settings, ces=8, now=T0
        )
    with pytest.raises(InvalidInput):
        await pulse_answers.record_answer(
            any_session, pulse_id=pulse.id or 0, settings=settings, nps=3, now=T0
        )


async def test_low_score_opens_one_recovery_case_for_a_person(any_session: AsyncSession) -> None:
    settings = _settings()
    pulse = await _sent_pulse(any_session, settings)
    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, csat=4, now=T0
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is None
    await pulse_answers.record_answer(
        any_session, pulse_id=pulse.id or 0, settings=settings, ces=3, now=T0
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id is not None
    recovery = await lifecycle.get_case(any_session, pulse.recovery_case_id)
    assert (recovery.status, recovery.owner, recovery.topic) == (
        "open",
        "human",
        "recovery: delivery",
    )
    await pulse_answers.record_answer(
        any_session,
        pulse_id=pulse.id or 0,
        settings=settings,
        csat=1,
        comment="Still no parcel",
        now=T0,
    )
    await any_session.refresh(pulse)
    assert pulse.recovery_case_id == recovery.id
    notes = (
        await any_session.exec(
            select(Message.text)
            .where(Message.case_id == recovery.id, Message.author == "system")
            .order_by(col(Message.id))
        )
    ).all()
    assert notes[0] == "opened" and notes[1] == "escalated"
    assert f"Low satisfaction after case #{pulse.case_id}" in notes[2]
    assert "CSAT 4/5, CES 3/7" in notes[2]
    assert notes[3] == "Later answer: CSAT 1/5."  # the same recovery case, updated
    assert notes[4] == "Customer comment: Still no parcel"
    recoveries = (
        await any_session.exec(select(Case).where(Case.topic == "recovery: delivery"))
    ).all()
    assert len(recoveries) == 1


async def test_expired_pulses_take_no_answers_and_claimed_ones_are_never_reclaimed(
    any_session: AsyncSession,
) -> None:
    settings = _settings()
    case = await _resolved_case(any_session)
    pulse = await surveys.schedule_pulse(any_session, case_id=case.id or 0, settings=settings)
    claimed = await surveys.claim_due(any_session, now=pulse.due_at)
    assert [p.id for p in claimed] == [pulse.id]
    assert await surveys.claim_due(any_session, now=pulse.due_at + timedelta(minutes=1)) == []
    await surveys.mark_sent(any_session, pulse_id=pulse.id or 0, settings=settings, now=T0)
    assert await surveys.claim_due(any_session, now=pulse.due_at + timedelta(hours=1)) == []
    assert await surveys.expire(any_session, now=T0 + timedelta(hours=71)) == 0
    assert await surveys.expire(any_session, now=T0 + timedelta(hours=72)) == 1
    await any_session.refresh(pulse)
    assert pulse.status == "expired"
    with pytest.raises(InvalidTransition):
        await pulse_answers.record_answer(
            any_session, pulse_id=pulse.id or 0, settings=settings, csat=5
        )


async def test_an_expired_claim_is_retried_unless_the_send_had_started(
    any_session: AsyncSession,
) -> None:
    """A worker killed mid-batch: the pulses it never tried go out again after the lease; the one
    it was sending fails as "outcome unknown" (it may have arrived) and is never sent twice."""
    settings = _settings()
    first = await surveys.schedule_pulse(
        any_session, case_id=(await _resolved_case(any_session)).id or 0, settings=settings
    )
    second = await surveys.schedule_pulse(
        any_session,
        case_id=(await _resolved_case(any_session, external_id="778")).id or 0,
        settings=settings,
    )
    due = max(first.due_at, second.due_at)
    lease = timedelta(seconds=settings.claim_lease_s)
    assert len(await surveys.claim_due(any_session, now=due, lease=lease)) == 2
    await surveys.begin_send(any_session, pulse_id=first.id or 0, now=due)
    # the process dies here
    assert await surveys.claim_due(any_session, now=due + lease * 0.9, lease=lease) == []
    again = await surveys.claim_due(any_session, now=due + lease * 1.1, lease=lease)
    assert [p.id for p in again] == [second.id]
    await any_session.refresh(first)
    assert first.status == "failed" and (first.error or "").startswith("outcome unknown")


async def test_other_channels_get_a_signed_link(any_session: AsyncSession) -> None:
    settings = _settings(pulse_link_secret="s3cret-s3cret", public_base_url="https://cx.example/")
    case = await _resolved_case(any_session, channel="email", external_id="a@b.example")
    pulse = await surveys.schedule_pulse(any_session, case_id=case.id or 0, settings=settings)
    email = RecordingChannel(channel="email")
    factory = db.session_factory(any_session.bind)  # type: ignore[arg-type]
    done = await run_worker_once(
        factory, settings=settings, outbound={"email": email}, now=pulse.due_at
    )
    assert done.sent == 1
    _, text, buttons = email.sent[0]
    signed = pulse_answers.link_token(pulse, settings=settings)
    assert f"https://cx.example/pulse/{signed}" in text and buttons == ()
    found = await pulse_answers.pulse_by_link(any_session, signed=signed, settings=settings, now=T0)
    assert found.id == pulse.id
    for bad in (pulse.token + ".AAAAAAAAAAAAAAAA", pulse.token, "x.y"):
        with pytest.raises(NotFound):
            await pulse_answers.pulse_by_link(any_session, signed=bad, settings=settings)
    other_key = _settings(pulse_link_secret="another-secret")
    with pytest.raises(NotFound):
        await pulse_answers.pulse_by_link(any_session, signed=signed, settings=other_key)


async def test_failed_delivery_is_recorded_and_not_retried(any_session: AsyncSession) -> None:
    settings = _settings()
    case = await _resolved_case(any_session)
    pulse = await surveys.schedule_pulse(any_session, case_id=case.id or 0, settings=settings)
    blocked = RecordingChannel(ok=False)
    factory = db.session_factory(any_session.bind)  # type: ignore[arg-type]
    done = await run_worker_once(
        factory, settings=settings, outbound={"telegram": blocked}, now=pulse.due_at
    )
    assert (done.sent, done.failed) == (0, 1)
    await any_session.refresh(pulse)
    assert (pulse.status, pulse.error, pulse.sent_at) == ("failed", "blocked", None)


async def test_nps_has_its_own_cadence(any_session: AsyncSession) -> None:
    settings = _settings(nps_interval_days=90)
    case = await _resolved_case(any_session)
    await _resolved_case(any_session, customer=await any_session.get(Customer, case.customer_id))
    assert await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(1)) == 1
    assert await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(2)) == 0
    nps = (await any_session.exec(select(Pulse).where(Pulse.kind == "nps"))).one()
    prompt = surveys.first_prompt(nps, language="ru")
    assert len(prompt.buttons) == 11 and prompt.text.startswith("Насколько")
    assert await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(60)) == 0
    assert await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(92)) == 0
    await _resolved_case(
        any_session,
        customer=await any_session.get(Customer, case.customer_id),
        at=T0 + timedelta(91),
    )
    assert await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(92)) == 1
    (claimed,) = await surveys.claim_due(any_session, now=T0 + timedelta(1))
    await surveys.mark_sent(any_session, pulse_id=claimed.id or 0, settings=settings, now=T0)
    answered = await pulse_answers.record_answer(
        any_session, pulse_id=claimed.id or 0, settings=settings, nps=9, now=T0
    )
    assert answered.nps == 9 and answered.recovery_case_id is None


async def test_worker_flags_overdue_promises(
    any_engine: AsyncEngine, any_session: AsyncSession
) -> None:
    case = await _resolved_case(any_session)
    user = User(name="olga", role="supervisor")
    any_session.add(user)
    await any_session.commit()
    await promises.make_promise(
        any_session, case_id=case.id or 0, user=user, text="Call back", due_at=T0
    )
    factory = db.session_factory(any_engine)
    done = await run_worker_once(factory, settings=_settings(), now=T0 + timedelta(minutes=1))
    assert done.promises_flagged == 1
    again = await run_worker_once(factory, settings=_settings(), now=T0 + timedelta(minutes=2))
    assert again.promises_flagged == 0
    listed = await promises.list_promises(any_session, status=PromiseStatus.OPEN)
    assert listed[0].overdue_flagged_at is not None


async def test_one_survey_per_customer_at_a_time(any_session: AsyncSession) -> None:
    """A just-resolved customer gets the CSAT/CES pulse, not an NPS round in the same minute; a
    customer who just got an NPS round gets no CSAT/CES on top of it; two workers scheduling at
    once create one NPS round."""
    settings = _settings()
    old = await _resolved_case(any_session, at=T0 - timedelta(days=30))
    customer = await any_session.get(Customer, old.customer_id)
    fresh = await _resolved_case(
        any_session, customer=customer, at=T0
    )  # its pulse not yet recorded
    assert (
        await surveys.schedule_nps(any_session, settings=settings, now=T0 + timedelta(seconds=5))
        == 0
    )
    await surveys.schedule_pulse(any_session, case_id=fresh.id or 0, settings=settings)

    other = await _resolved_case(any_session, external_id="900", at=T0 - timedelta(days=30))
    factory = db.session_factory(any_session.bind)  # type: ignore[arg-type]

    async def schedule() -> int:
        async with factory() as s:
            return await surveys.schedule_nps(s, settings=settings, now=T0)

    assert sum([await schedule(), await schedule()]) == 1
    nps = (await any_session.exec(select(Pulse).where(Pulse.kind == "nps"))).one()
    assert nps.customer_id == other.customer_id
    again = await _resolved_case(
        any_session, customer=await any_session.get(Customer, other.customer_id), at=T0
    )
    pulse = await surveys.schedule_pulse(any_session, case_id=again.id or 0, settings=settings)
    assert (pulse.status, pulse.skip_reason) == ("skipped", "recent_survey")
