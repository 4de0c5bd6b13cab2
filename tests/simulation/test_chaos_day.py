"""A harder day: `kill -9` of the bot and the worker while customers are writing, then a Telegram
outage (the loopback Bot API answers 502 for 10 s, then 429 with ``retry_after`` for 10 s)
during which the bot is killed again while it retries its sends, and the API while customers'
updates are in flight (Telegram sends an update again until it is answered 200, with the same
update id). Nothing a customer wrote may be lost or stored twice, every reply is delivered or
visibly failed, in order per chat, nothing is sent twice, and no chat is tried again before its
``retry_after`` is over. A whole minute's outage of the sending path is
tests/bot/test_telegram_outage.py (the suite's time allows one 60 s wait, not a longer day); the
benchmark takes --outage-s 120 --throttle-s 60."""

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
        kill_in_outage=("bot", "api"),
        outage_s=20.0,
        throttle_s=10.0,
        retry_after_s=3,
    )
    result = asyncio.run(run_day(config))
    assert result.kills == 4 and result.exits["api"]  # the trouble did happen
    assert result.bot_api.refused > 0
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


def test_every_chat_gets_its_messages_in_order(day: DayResult) -> None:
    _holds(checks.in_order(day))


def test_telegram_retry_after_is_waited_out(day: DayResult) -> None:
    _holds(checks.retry_after(day))
