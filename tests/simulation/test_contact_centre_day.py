"""A contact-centre day, as a test: the real `cxc serve`, `cxc bot --webhook-worker` and
`cxc worker` on one data directory, a loopback Telegram Bot API, generated customers (60 by
default, CXC_SIM_CUSTOMERS) in four languages on Telegram and e-mail, three operators and a
supervisor (benchmarks/contact_centre).
Each test is one thing a user would check afterwards; the day runs once for the module.

PostgreSQL instead of SQLite: set CXC_TEST_POSTGRES_URL (its database is emptied first).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest

from benchmarks.contact_centre import checks
from benchmarks.contact_centre.day import DayConfig, DayResult, run_day

pytestmark = pytest.mark.slow
CUSTOMERS = int(os.environ.get("CXC_SIM_CUSTOMERS", "60"))
"""60 keeps the day near two minutes on a loaded 2-core machine; the benchmark runs thousands."""


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DayResult]:
    config = DayConfig(
        data_dir=tmp_path_factory.mktemp("day"),
        customers=CUSTOMERS,
        database_url=os.environ.get("CXC_TEST_POSTGRES_URL"),
    )
    yield asyncio.run(run_day(config))


def _holds(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_the_day_happened(day: DayResult) -> None:
    """The day is the one generated: customers wrote, were answered, resolved and surveyed."""
    figures: dict[str, Any] = day.ledger.figures()
    assert figures["customers"] == CUSTOMERS
    assert figures["customer_messages"] > CUSTOMERS
    assert figures["bot_contained"] > CUSTOMERS // 12 and figures["escalations"] > CUSTOMERS // 4
    assert figures["pulses_answered"] > CUSTOMERS // 20 and figures["recovery_cases"] > 0
    assert any(o.requires_approval for o in day.ledger.offers)
    assert any(not o.requires_approval for o in day.ledger.offers)
    assert {p.language for p in day.ledger.people} == {"ru", "uk", "ro", "en"}


def test_no_5xx_no_traceback_every_customer_answered(day: DayResult) -> None:
    _holds(checks.health(day))


def test_every_customer_message_is_stored_once(day: DayResult) -> None:
    _holds(checks.stored(day))


def test_every_telegram_reply_is_delivered_or_visibly_failed(day: DayResult) -> None:
    _holds(checks.delivered(day))


def test_nothing_is_sent_twice(day: DayResult) -> None:
    _holds(checks.no_duplicates(day))


def test_every_chat_gets_its_messages_in_the_order_queued(day: DayResult) -> None:
    _holds(checks.in_order(day))


def test_no_customer_sees_another_customers_personal_data(day: DayResult) -> None:
    _holds(checks.privacy(day))


def test_one_pulse_per_resolution_about_the_right_case(day: DayResult) -> None:
    _holds(checks.pulses(day))


def test_the_summary_has_the_days_figures(day: DayResult) -> None:
    _holds(checks.summary(day))


def test_the_resolution_log_has_the_days_resolutions(day: DayResult) -> None:
    _holds(checks.resolution_log(day))


def test_compensations_follow_the_policy_and_the_limits(day: DayResult) -> None:
    _holds(checks.compensations(day))


def test_email_replies_are_refused_or_delivered_never_pending(day: DayResult) -> None:
    _holds(checks.email_replies(day))
