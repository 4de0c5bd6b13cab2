"""``cxc eval --llm``: every answer of an evaluation composed through the configured language
model (``core.grounding.compose``), with what happened to each: composed, refused by the guard
or the instruction filter, or failed (the extractive answer is kept)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from core.config import Settings
from core.domain import Answer, FaqEntry
from core.errors import ConfigError
from core.grounding.compose import REJECTIONS, compose_answer
from knowledge.llm import build_assistant

Lookup = Callable[[str], FaqEntry | None]


def compose_all(
    answers: list[Answer], texts: list[str], lookup: Lookup, settings: Settings
) -> tuple[list[Answer], list[float], dict[str, Any]]:
    """The answers as the LLM path gives them, the milliseconds composition added to each,
    and the summary (``llm`` in the report)."""
    return asyncio.run(_compose_all(answers, texts, lookup, settings))


async def _compose_all(
    answers: list[Answer], texts: list[str], lookup: Lookup, settings: Settings
) -> tuple[list[Answer], list[float], dict[str, Any]]:
    assistant = build_assistant(settings)
    if assistant is None:
        raise ConfigError("--llm needs CXC_LLM_BASE_URL (and CXC_LLM_MODEL)")
    out, added, outcomes, composing = [], [], Counter[str](), []
    try:
        for answer, text in zip(answers, texts, strict=True):
            started = time.perf_counter()
            done = await compose_answer(
                answer,
                question=text,
                assistant=assistant,
                lookup=lookup,
                region=settings.default_region,
                budget_s=settings.llm_budget_s,
            )
            ms = (time.perf_counter() - started) * 1e3
            out.append(done.answer)
            added.append(ms)
            outcomes[done.outcome] += 1
            if done.outcome != "skipped":
                composing.append(ms)
    finally:
        await assistant.close()
    return out, added, _summary(outcomes, composing, assistant.model)


def _summary(outcomes: Counter[str], composing: list[float], model: str) -> dict[str, Any]:
    tried = sum(n for o, n in outcomes.items() if o != "skipped")
    composed = outcomes["composed"]
    return {
        "model": model,
        "answers_sent": tried,
        "composed_share": round(composed / tried, 4) if tried else None,
        "fallback_share": round((tried - composed) / tried, 4) if tried else None,
        "guard_rejections": sum(n for o, n in outcomes.items() if o in REJECTIONS),
        "instruction_filter": outcomes["injection"],
        "failures": outcomes["failed"] + outcomes["malformed"],
        "outcomes": dict(sorted(outcomes.items())),
        "compose_ms_p50": round(float(np.percentile(composing, 50)), 2) if composing else None,
    }
