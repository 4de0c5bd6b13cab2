"""The contact-reason taxonomy (the bundled retail default and a file of one's own), the reason a
resolution gives a case that has none, the operator's confirmation or change, and the report of
reasons by volume, escalations, low CSAT and repeat contacts. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.cases import lifecycle, reasons
from core.config import Settings
from core.desk import operators
from core.errors import InvalidInput
from core.models import CaseEvent, ChannelIdentity, Customer, Direction, Message, Pulse
from core.platform import auth
from core.reports.query import ReportFilter
from core.reports.reasons import top_reasons

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def test_the_default_taxonomy_classifies_entries_tags_and_words_in_four_languages() -> None:
    taxonomy = reasons.load()
    assert taxonomy.default == "other" and "other" in taxonomy.codes
    assert taxonomy.classify(entry_id="double-charge", tags=("payment",)) == "wrong_charge"
    assert taxonomy.classify(entry_id="unknown-entry", tags=("loyalty",)) == "promo_loyalty"
    for text, code in (
        ("Где мой заказ? Хочу отследить", "order_status"),
        ("Курьер опоздал на час", "late_delivery"),
        ("У замовленні не вистачає молока", "missing_item"),
        ("Produsul a venit deteriorat", "quality"),
        ("I was charged twice for one order", "wrong_charge"),
        ("I love chocolate", "other"),  # "late" only at the start of a word
    ):
        assert taxonomy.classify(text=text) == code, text
    assert taxonomy.label("late_delivery", "ro") == "Livrare întârziată"


def test_a_taxonomy_of_ones_own_and_a_broken_one(tmp_path: Path) -> None:
    mine = tmp_path / "reasons.yaml"
    mine.write_text(
        "default: misc\nreasons:\n  bikes: {keywords: [bike, велосипед]}\n  misc: {}\n",
        encoding="utf-8",
    )
    settings = Settings(env="test", contact_reasons=mine, _env_file=None)  # type: ignore[call-arg]
    taxonomy = reasons.for_settings(settings)
    assert taxonomy.codes == ("bikes", "misc")
    assert taxonomy.classify(text="Мой велосипед сломался") == "bikes"
    broken = tmp_path / "broken.yaml"
    broken.write_text("default: nope\nreasons:\n  a: {}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="default"):
        reasons.load(broken)


async def _case(
    session: AsyncSession, customer_id: int, text: str, *, at: datetime, topic: str | None = None
) -> int:
    case = await lifecycle.open_case(
        session, customer_id=customer_id, channel="telegram", topic=topic, now=at
    )
    assert case.id is not None
    session.add(
        Message(
            case_id=case.id,
            direction=Direction.INBOUND,
            channel="telegram",
            author="customer",  # type: ignore[arg-type]
            text=text,
        )
    )
    await session.commit()
    return case.id


async def _customer(session: AsyncSession, ref: str) -> int:
    customer = Customer(name=ref)
    session.add(customer)
    await session.flush()
    assert customer.id is not None
    session.add(ChannelIdentity(customer_id=customer.id, channel="telegram", external_id=ref))
    await session.commit()
    return customer.id


async def test_a_resolution_gives_a_reason_and_the_operator_confirms_or_changes_it(
    any_session: AsyncSession,
) -> None:
    user, _ = await auth.create_user(any_session, name="olga", role="operator")
    customer_id = await _customer(any_session, "71")
    auto = await _case(any_session, customer_id, "Списали дважды за заказ", at=T0)
    resolved = await operators.resolve_case(
        any_session, case_id=auto, user=user, resolution="Refunded", resolution_code="refund"
    )
    assert resolved.topic == "wrong_charge"

    changed = await _case(any_session, customer_id, "Где мой заказ?", at=T0 + timedelta(1))
    with pytest.raises(InvalidInput, match="unknown contact reason"):
        await operators.resolve_case(
            any_session,
            case_id=changed,
            user=user,
            resolution="x",
            resolution_code="x",
            contact_reason="weather",
        )
    assert (await lifecycle.get_case(any_session, changed)).status == "open"  # nothing changed
    resolved = await operators.resolve_case(
        any_session,
        case_id=changed,
        user=user,
        resolution="Address changed",
        resolution_code="done",
        contact_reason="order_change",
    )
    assert resolved.topic == "order_change"
    event = (
        await any_session.exec(
            select(Message)
            .where(Message.case_id == changed, Message.event == CaseEvent.RESOLVED)
            .order_by(col(Message.id).desc())
        )
    ).first()
    assert event is not None and event.meta.contact_reason == "order_change"


async def test_the_report_ranks_reasons_by_volume_escalation_low_csat_and_repeats(
    any_session: AsyncSession,
) -> None:
    a, b = await _customer(any_session, "81"), await _customer(any_session, "82")
    late1 = await _case(any_session, a, "late", at=T0, topic="late_delivery")
    await _case(any_session, a, "late again", at=T0 + timedelta(days=2), topic="late_delivery")
    late3 = await _case(any_session, b, "late", at=T0 + timedelta(days=3), topic="late_delivery")
    await lifecycle.escalate(any_session, case_id=late3, reason="customer")
    pay = await _case(any_session, b, "card", at=T0 + timedelta(days=4), topic="payment")
    await _case(any_session, b, "hello", at=T0 + timedelta(days=5))  # no reason yet
    await _case(any_session, b, "x", at=T0 + timedelta(days=5), topic="recovery: payment")
    for case_id, csat in ((late1, 1), (pay, 5)):
        any_session.add(
            Pulse(
                case_id=case_id,
                customer_id=a if case_id == late1 else b,
                channel="telegram",
                token=f"t{case_id}",
                status="answered",  # type: ignore[arg-type]
                csat=csat,
                answered_at=T0 + timedelta(days=6),
            )
        )
    await any_session.commit()

    window = ReportFilter(start=T0, end=T0 + timedelta(days=10))
    rows = await top_reasons(any_session, filters=window, low_csat=2, repeat_days=7)
    by = {r["reason"]: r for r in rows}
    assert [r["reason"] for r in rows] == ["late_delivery", "payment", "unassigned"]
    late = by["late_delivery"]
    assert (late["cases"], late["escalations"], late["low_csat"], late["repeats"]) == (3, 1, 1, 1)
    assert late["share"] == pytest.approx(3 / 5)
    assert late["low_csat_rate"] == 1.0 and late["repeat_rate"] == pytest.approx(1 / 3)
    assert by["payment"]["low_csat_rate"] == 0.0
    worst = await top_reasons(
        any_session, filters=window, low_csat=2, repeat_days=7, order="escalation_rate"
    )
    assert worst[0]["reason"] == "late_delivery"
