"""Every call to the language model is recorded (model, purpose, the API's token counts,
milliseconds, outcome) off the answer's path, and reported with its cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import db
from core.config import Settings
from core.errors import AssistantUnavailable
from core.models import LlmCall
from core.ports import LlmCallRecord
from core.reports.llm_usage import LlmCallLog, llm_usage
from core.reports.query import ReportFilter
from knowledge.llm import Breaker, OpenAiAssistant
from tests.llm.server import LoopbackLlm, Step

PROMPT = "one two three"  # the loopback server counts words as tokens: system + prompt


@pytest.fixture
async def calls_and_client(
    llm_server: LoopbackLlm,
) -> AsyncIterator[tuple[LlmCallLog, Callable[..., OpenAiAssistant]]]:
    calls, made = LlmCallLog(), []

    def client(**kw: object) -> OpenAiAssistant:
        options: dict[str, object] = {"timeout_s": 2.0, "retries": 0} | kw
        built = OpenAiAssistant(
            base_url=llm_server.base_url,
            model="loopback",
            api_key="k",
            sink=calls,
            **options,  # type: ignore[arg-type]
        )
        made.append(built)
        return built

    yield calls, client
    for built in made:
        await built.close()


@pytest.mark.parametrize("stream", [False, True])
async def test_a_call_is_recorded_with_the_tokens_the_api_reports(
    llm_server: LoopbackLlm,
    calls_and_client: tuple[LlmCallLog, Callable[..., OpenAiAssistant]],
    session: AsyncSession,
    stream: bool,
) -> None:
    calls, client = calls_and_client
    llm_server.answer("four five")
    assert await client(stream=stream).complete("sys", PROMPT, purpose="draft") == "four five"
    assert calls.pending == 1  # recorded in memory: nothing waited for the database
    assert await calls.flush(session) == 1
    row = (await session.exec(select(LlmCall))).one()
    assert (row.model, row.purpose, row.outcome, row.attempts) == ("loopback", "draft", "ok", 1)
    assert (row.prompt_tokens, row.completion_tokens) == (4, 2)
    assert 0 <= row.ms < 2000 and row.at.tzinfo is not None


async def test_failures_and_an_open_circuit_are_recorded_without_tokens(
    llm_server: LoopbackLlm,
    calls_and_client: tuple[LlmCallLog, Callable[..., OpenAiAssistant]],
    session: AsyncSession,
) -> None:
    calls, client = calls_and_client
    llm_server.script(Step("500"))
    assistant = client(retries=1, breaker=Breaker(failures=1, cooldown_s=60))
    for _ in range(2):
        with pytest.raises(AssistantUnavailable):
            await assistant.complete("s", "p", purpose="summary")
    await calls.flush(session)
    rows = (await session.exec(select(LlmCall).order_by(LlmCall.id))).all()  # type: ignore[arg-type]
    assert [(r.outcome, r.attempts, r.prompt_tokens) for r in rows] == [
        ("InternalServerError", 2, None),
        ("circuit_open", 0, None),
    ]


def _call(
    model: str, purpose: str, outcome: str, tokens: tuple[int, int], at: datetime
) -> LlmCallRecord:
    return LlmCallRecord(model, purpose, outcome, 100, *tokens, attempts=1, at=at)


async def test_the_report_sums_tokens_and_prices_the_configured_model(
    any_session: AsyncSession, settings: Settings
) -> None:
    session = any_session
    calls = LlmCallLog()
    day = datetime(2026, 3, 2, 12, tzinfo=UTC)
    calls.record(_call("gpt-x", "answer", "ok", (1000, 200), day))
    calls.record(_call("gpt-x", "answer", "APITimeoutError", (0, 0), day))
    calls.record(_call("gpt-x", "draft", "ok", (3000, 800), day))
    calls.record(_call("old-model", "answer", "ok", (500, 50), day))
    calls.record(_call("gpt-x", "answer", "ok", (9999, 9999), datetime(2026, 4, 1, tzinfo=UTC)))
    await calls.flush(session)
    priced = settings.model_copy(
        update={"llm_model": "gpt-x", "llm_price_in": 0.5, "llm_price_out": 1.5}
    )
    window = ReportFilter(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC))
    usage = await llm_usage(session, filters=window, settings=priced)
    assert (usage.calls, usage.failed, usage.prompt_tokens, usage.completion_tokens) == (
        4,
        1,
        4500,
        1050,
    )
    by = {(r.model, r.purpose): r for r in usage.rows}
    assert by["gpt-x", "answer"].cost == pytest.approx(1.0 * 0.5 + 0.2 * 1.5)
    assert by["gpt-x", "draft"].cost == pytest.approx(3.0 * 0.5 + 0.8 * 1.5)
    assert by["old-model", "answer"].cost is None  # its price is not configured
    assert usage.cost == pytest.approx(0.8 + 2.7) and usage.currency == "USD"
    unpriced = await llm_usage(session, filters=window, settings=settings)
    assert unpriced.cost is None and unpriced.calls == 4


async def test_the_writer_flushes_on_stop_and_survives_a_failing_database(
    engine: AsyncEngine, session: AsyncSession, caplog: pytest.LogCaptureFixture
) -> None:
    calls, stop = LlmCallLog(), asyncio.Event()
    now = datetime.now(UTC)

    def broken() -> AsyncSession:
        raise OSError("database gone")

    calls.record(_call("m", "answer", "ok", (1, 1), now))
    task = asyncio.create_task(calls.run(broken, stop=stop, interval_s=0.01))
    await asyncio.sleep(0.05)
    assert not task.done() and "llm calls not recorded" in caplog.text
    stop.set()
    await task
    calls.record(_call("m", "answer", "ok", (2, 2), now))
    stop = asyncio.Event()
    task = asyncio.create_task(calls.run(db.session_factory(engine), stop=stop, interval_s=60))
    await asyncio.sleep(0)
    stop.set()
    await task  # kept while the database was gone, written when the process stops
    rows = (await session.exec(select(LlmCall))).all()
    assert sorted(r.prompt_tokens or 0 for r in rows) == [1, 2] and calls.pending == 0
