"""The language model's calls: recorded without slowing the answer, and reported with their
tokens and cost.

``LlmCallLog`` is the ``LlmCallSink`` the model's client reports to: ``record`` only appends to
a bounded list in memory; ``run`` (a task of the runtime) writes what was recorded every few
seconds, and once more when the process stops. ``llm_usage`` sums the calls of a window by
model and purpose, with their cost at the configured price per 1,000 tokens
(``CXC_LLM_PRICE_IN``, ``CXC_LLM_PRICE_OUT``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.models import LlmCall
from core.ports import LlmCallRecord
from core.reports.query import ReportFilter

log = logging.getLogger(__name__)

MAX_PENDING = 10_000
"""Calls kept in memory while the database is unreachable; older ones are dropped."""


class LlmCallLog:
    """An ``LlmCallSink`` that writes the calls in batches, off the answer's path."""

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._pending: deque[LlmCallRecord] = deque(maxlen=max_pending)

    def record(self, call: LlmCallRecord) -> None:
        self._pending.append(call)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self, session: AsyncSession) -> int:
        """Write the calls recorded so far; how many. On a failure they stay pending."""
        batch = [self._pending.popleft() for _ in range(len(self._pending))]
        if not batch:
            return 0
        try:
            session.add_all(_row(c) for c in batch)
            await session.commit()
        except BaseException:
            self._pending.extendleft(reversed(batch))
            raise
        return len(batch)

    async def run(
        self,
        sessions: Callable[[], AsyncSession],
        *,
        stop: asyncio.Event,
        interval_s: float = 2.0,
    ) -> None:
        """Flush every ``interval_s`` until ``stop`` is set, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
            try:
                async with sessions() as session:
                    await self.flush(session)
            except Exception as exc:  # a metric is never worth stopping a process for
                log.warning("llm calls not recorded: %s: %s", type(exc).__name__, exc)


def _row(call: LlmCallRecord) -> LlmCall:
    return LlmCall(
        at=call.at,
        model=call.model[:200],
        purpose=call.purpose[:32],
        outcome=call.outcome[:64],
        ms=call.ms,
        prompt_tokens=call.prompt_tokens,
        completion_tokens=call.completion_tokens,
        attempts=call.attempts,
    )


@dataclass(frozen=True, slots=True)
class LlmUsageRow:
    model: str
    purpose: str
    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    avg_ms: float | None
    cost: float | None
    """At the configured prices, for the configured model; None when no price is set or the
    calls were made to another model."""


@dataclass(frozen=True, slots=True)
class LlmUsage:
    calls: int
    failed: int
    prompt_tokens: int
    completion_tokens: int
    cost: float | None
    currency: str
    rows: list[LlmUsageRow]


async def llm_usage(
    session: AsyncSession, *, filters: ReportFilter, settings: Settings
) -> LlmUsage:
    """The calls made in the window of ``filters`` (its case filters do not apply: a call
    belongs to no case), by model and purpose."""
    where = [
        *([col(LlmCall.at) >= filters.start] if filters.start else []),
        *([col(LlmCall.at) < filters.end] if filters.end else []),
    ]
    stmt = (
        select(
            col(LlmCall.model),
            col(LlmCall.purpose),
            func.count(),
            func.sum(case((col(LlmCall.outcome) != "ok", 1), else_=0)),
            func.coalesce(func.sum(LlmCall.prompt_tokens), 0),
            func.coalesce(func.sum(LlmCall.completion_tokens), 0),
            func.avg(LlmCall.ms),
        )
        .where(*where)
        .group_by(col(LlmCall.model), col(LlmCall.purpose))
        .order_by(col(LlmCall.model), col(LlmCall.purpose))
    )
    rows = [
        LlmUsageRow(
            model,
            purpose,
            int(n),
            int(failed or 0),
            int(p),
            int(c),
            None if ms is None else round(float(ms), 1),
            _cost(settings, model, int(p), int(c)),
        )
        for model, purpose, n, failed, p, c, ms in (await session.exec(stmt)).all()  # type: ignore[call-overload]
    ]
    costs = [r.cost for r in rows if r.cost is not None]
    return LlmUsage(
        calls=sum(r.calls for r in rows),
        failed=sum(r.failed for r in rows),
        prompt_tokens=sum(r.prompt_tokens for r in rows),
        completion_tokens=sum(r.completion_tokens for r in rows),
        cost=round(sum(costs), 6) if costs else None,
        currency=settings.llm_price_currency,
        rows=rows,
    )


def _cost(settings: Settings, model: str, prompt: int, completion: int) -> float | None:
    price_in, price_out = settings.llm_price_in, settings.llm_price_out
    if model != settings.llm_model or price_in is None or price_out is None:
        return None
    return round(prompt / 1000 * price_in + completion / 1000 * price_out, 6)
