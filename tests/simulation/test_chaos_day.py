"""A harder day: `kill -9` of the bot and the worker while customers are writing, then a
Telegram outage (the loopback Bot API answers 502 for 20 s) during which the bot is killed again
while it retries its sends. Nothing a customer wrote may be lost, every reply is delivered or
visibly failed, and nothing is sent twice. (The benchmark takes --outage-s 120.)"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest

from benchmarks.contact_centre import checks
from benchmarks.contact_centre.day import DayConfig, DayResult, run_day

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DayResult]:
    config = DayConfig(
        data_dir=tmp_path_factory.mktemp("chaos"),
        customers=60,
        seed=11,
        database_url=os.environ.get("CXC_TEST_POSTGRES_URL"),
        kill_at=0.3,
        outage_s=20.0,
    )
    result = asyncio.run(run_day(config))
    assert result.kills == 3 and result.bot_api.refused > 0  # the trouble did happen
    yield result


def _holds(problems: list[str]) -> None:
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def test_no_5xx_no_traceback_no_crash_but_the_kills(day: DayResult) -> None:
    _holds(checks.crashes(day))


def test_nothing_a_customer_wrote_is_lost(day: DayResult) -> None:
    _holds(checks.stored(day))


def test_every_reply_is_delivered_or_visibly_failed(day: DayResult) -> None:
    _holds(checks.delivered(day))


def test_nothing_is_sent_twice(day: DayResult) -> None:
    _holds(checks.no_duplicates(day))
