"""The OpenAI-compatible adapter against the loopback server, through the real openai client."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import pytest

from core.config import Settings
from core.errors import AssistantUnavailable
from core.ports import Assistant
from knowledge.llm import Breaker, OpenAiAssistant, build_assistant
from tests.llm.server import LoopbackLlm, Step

_OPEN: list[OpenAiAssistant] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    while _OPEN:
        await _OPEN.pop().close()


def _assistant(server: LoopbackLlm, **kw: object) -> OpenAiAssistant:
    options: dict[str, object] = {"timeout_s": 2.0, "retries": 2} | kw
    built = OpenAiAssistant(base_url=server.base_url, model="loopback", api_key="k", **options)  # type: ignore[arg-type]
    _OPEN.append(built)
    return built


async def test_a_plain_and_a_streamed_answer(llm_server: LoopbackLlm) -> None:
    llm_server.answer("Доставка занимает три дня.")
    plain = _assistant(llm_server)
    streamed = _assistant(llm_server, stream=True)
    assert isinstance(plain, Assistant)
    assert await plain.complete("sys", "q") == "Доставка занимает три дня."
    assert await streamed.complete("sys", "q") == "Доставка занимает три дня."
    assert llm_server.requests[1]["stream"] is True
    assert llm_server.requests[0]["messages"][0] == {"role": "system", "content": "sys"}


async def test_a_rate_limit_is_retried_after_its_retry_after(llm_server: LoopbackLlm) -> None:
    llm_server.script(Step("429", retry_after=0.6), Step("ok", "fine"))
    started = time.perf_counter()
    assert await _assistant(llm_server).complete("s", "p") == "fine"
    assert time.perf_counter() - started >= 0.6
    assert len(llm_server.requests) == 2


async def test_server_errors_are_retried_then_fail(llm_server: LoopbackLlm) -> None:
    llm_server.script(Step("500"), Step("ok", "fine"))
    assert await _assistant(llm_server).complete("s", "p") == "fine"
    llm_server.script(Step("500"))
    with pytest.raises(AssistantUnavailable):
        await _assistant(llm_server, retries=1).complete("s", "p")
    assert len(llm_server.requests) == 2


async def test_a_hang_times_out(llm_server: LoopbackLlm) -> None:
    llm_server.script(Step("hang", "late", delay_s=1.5))
    started = time.perf_counter()
    with pytest.raises(AssistantUnavailable):
        await _assistant(llm_server, timeout_s=0.3, retries=0).complete("s", "p")
    assert time.perf_counter() - started < 1.4


async def test_malformed_json_fails_without_retrying(llm_server: LoopbackLlm) -> None:
    llm_server.script(Step("malformed"))
    with pytest.raises(AssistantUnavailable):
        await _assistant(llm_server).complete("s", "p")
    assert len(llm_server.requests) == 1


async def test_the_circuit_opens_after_failures_in_a_row(llm_server: LoopbackLlm) -> None:
    llm_server.script(Step("500"))
    assistant = _assistant(llm_server, retries=0, breaker=Breaker(failures=2, cooldown_s=60))
    for _ in range(2):
        with pytest.raises(AssistantUnavailable):
            await assistant.complete("s", "p")
    llm_server.answer("fine")
    with pytest.raises(AssistantUnavailable, match="circuit"):
        await assistant.complete("s", "p")
    assert not llm_server.requests  # answered at once, nothing sent


async def test_the_circuit_lets_one_call_through_after_its_cooldown(
    llm_server: LoopbackLlm,
) -> None:
    llm_server.script(Step("500"))
    assistant = _assistant(llm_server, retries=0, breaker=Breaker(failures=1, cooldown_s=0.2))
    with pytest.raises(AssistantUnavailable):
        await assistant.complete("s", "p")
    await asyncio.sleep(0.25)
    llm_server.answer("back")
    assert await assistant.complete("s", "p") == "back"


async def test_every_call_is_one_log_line_without_its_text(
    llm_server: LoopbackLlm, caplog: pytest.LogCaptureFixture
) -> None:
    llm_server.answer("the secret reply")
    with caplog.at_level(logging.INFO, logger="knowledge.llm"):
        await _assistant(llm_server).complete("s", "the secret prompt")
    [line] = [r.getMessage() for r in caplog.records if r.name == "knowledge.llm"]
    assert "model=loopback purpose=answer outcome=ok" in line and "prompt_tokens=" in line
    assert "secret" not in line


async def test_nothing_is_built_without_a_base_url(settings: Settings) -> None:
    assert build_assistant(settings) is None
    configured = settings.model_copy(update={"llm_base_url": "http://127.0.0.1:9/v1"})
    built = build_assistant(configured)
    assert built is not None and built.model == settings.llm_model
    _OPEN.append(built)
