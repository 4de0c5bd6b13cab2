"""The ``Assistant`` port over any OpenAI-compatible chat endpoint (OpenAI, vLLM, llama.cpp's
server, Ollama), with the official ``openai`` client.

Each call has a timeout; a rate limit (429, after its Retry-After), a server error, a timeout
or a lost connection is retried with backoff while ``CXC_LLM_RETRIES`` allows; other errors are
not. After ``BREAKER_FAILURES`` failed calls in a row the circuit opens: calls fail at once for
``BREAKER_COOLDOWN_S`` seconds, then one call is let through to try again. Every call is logged
as one line (model, outcome, milliseconds, tokens, attempts), never with its text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import openai

from core.config import Settings
from core.errors import AssistantUnavailable
from core.ports import LlmCallRecord, LlmCallSink

log = logging.getLogger(__name__)

BREAKER_FAILURES = 5
BREAKER_COOLDOWN_S = 30.0
BACKOFF_S = 0.5
MAX_RETRY_AFTER_S = 10.0
_RETRIED = (openai.APITimeoutError, openai.APIConnectionError, openai.InternalServerError)


@dataclass(slots=True)
class Breaker:
    failures: int = BREAKER_FAILURES
    cooldown_s: float = BREAKER_COOLDOWN_S
    _count: int = 0
    _open_until: float = 0.0

    def allow(self) -> bool:
        return time.monotonic() >= self._open_until

    def record(self, ok: bool) -> None:
        self._count = 0 if ok else self._count + 1
        if self._count >= self.failures:
            self._open_until = time.monotonic() + self.cooldown_s
            self._count = self.failures - 1  # half-open: one more failure opens it again


@dataclass(frozen=True, slots=True)
class _Usage:
    prompt: int | None = None
    completion: int | None = None


class OpenAiAssistant:
    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str,
        timeout_s: float = 6.0,
        retries: int = 2,
        stream: bool = False,
        breaker: Breaker | None = None,
        sink: LlmCallSink | None = None,
    ) -> None:
        self.model = model
        self.sink = sink
        self.retries = retries
        self.stream = stream
        self.breaker = breaker or Breaker()
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=0
        )

    async def complete(
        self, system: str, prompt: str, *, max_tokens: int = 400, purpose: str = "answer"
    ) -> str:
        started, attempt = time.perf_counter(), 0
        if not self.breaker.allow():
            self._log(started, purpose, 0, "circuit_open", _Usage())
            raise AssistantUnavailable("the language model's circuit is open")
        while True:
            attempt += 1
            try:
                text, usage = await self._call(system, prompt, max_tokens)
            except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body not JSON
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    self._log(started, purpose, attempt, type(exc).__name__, _Usage())
                    self.breaker.record(ok=False)
                    raise AssistantUnavailable(f"the language model failed: {_kind(exc)}") from None
                await asyncio.sleep(delay)
                continue
            self._log(started, purpose, attempt, "ok", usage)
            self.breaker.record(ok=True)
            return text

    async def close(self) -> None:
        await self._client.close()

    async def _call(self, system: str, prompt: str, max_tokens: int) -> tuple[str, _Usage]:
        messages: list[openai.types.chat.ChatCompletionMessageParam] = [
            {"role": "system", "content": system},
            {"role": "user", "content": prompt},
        ]
        if not self.stream:
            done = await self._client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens, temperature=0
            )
            usage = done.usage
            text = done.choices[0].message.content if done.choices else None
            if text is None:
                raise openai.APIResponseValidationError  # type: ignore[call-arg]
            return text, _Usage(
                usage.prompt_tokens if usage else None, usage.completion_tokens if usage else None
            )
        return await self._streamed(messages, max_tokens)

    async def _streamed(
        self, messages: list[openai.types.chat.ChatCompletionMessageParam], max_tokens: int
    ) -> tuple[str, _Usage]:
        parts: list[str] = []
        usage = _Usage()
        chunks = await self._client.chat.completions.create(
            model=self.model,
            messages=messages,
            max_tokens=max_tokens,
            temperature=0,
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in chunks:
            if chunk.usage is not None:
                usage = _Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices:
                parts.append(choice.delta.content or "")
        return "".join(parts), usage

    def _retry_delay(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None: do not retry."""
        if attempt > self.retries:
            return None
        backoff = BACKOFF_S * 2 ** (attempt - 1)
        if isinstance(exc, openai.RateLimitError):
            after = _retry_after(exc.response.headers.get("retry-after"))
            return min(max(after, backoff) if after is not None else backoff, MAX_RETRY_AFTER_S)
        return backoff if isinstance(exc, _RETRIED) else None

    def _log(
        self, started: float, purpose: str, attempts: int, outcome: str, usage: _Usage
    ) -> None:
        """One log line, and the call handed to the sink (which returns at once)."""
        ms = (time.perf_counter() - started) * 1000
        level = logging.INFO if outcome == "ok" else logging.WARNING
        if self.sink is not None:
            self.sink.record(
                LlmCallRecord(
                    self.model,
                    purpose,
                    outcome,
                    round(ms),
                    usage.prompt,
                    usage.completion,
                    attempts,
                    datetime.now(UTC),
                )
            )
        log.log(
            level,
            "llm model=%s purpose=%s outcome=%s ms=%.0f prompt_tokens=%s completion_tokens=%s "
            "attempts=%d",
            self.model,
            purpose,
            outcome,
            ms,
            usage.prompt,
            usage.completion,
            attempts,
        )


def _retry_after(value: str | None) -> float | None:
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP date: the backoff is used


def _kind(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" {status}" if status else "")


def build_assistant(
    settings: Settings, *, sink: LlmCallSink | None = None
) -> OpenAiAssistant | None:
    """The configured assistant, or None when ``CXC_LLM_BASE_URL`` is not set. The key is
    ``CXC_LLM_API_KEY``, else ``OPENAI_API_KEY``; local servers need none. Each call is
    reported to ``sink`` (the runtime's ``core.reports.llm_usage.LlmCallLog``)."""
    if not settings.llm_base_url or not settings.llm_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return OpenAiAssistant(
        base_url=settings.llm_base_url,
        model=settings.llm_model,
        api_key=key or os.environ.get("OPENAI_API_KEY") or "none",
        timeout_s=settings.llm_timeout_s,
        retries=settings.llm_retries,
        stream=settings.llm_stream,
        sink=sink,
    )
