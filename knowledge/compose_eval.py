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
from core.grounding.rerank import rerank_answer
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
    reranks, reranking = Counter[str](), []
    try:
        for answer, text in zip(answers, texts, strict=True):
            started = time.perf_counter()
            if settings.llm_rerank:
                ranked = await rerank_answer(
                    answer,
                    question=text,
                    assistant=assistant,
                    lookup=lookup,
                    region=settings.default_region,
                    budget_s=settings.llm_budget_s,
                )
                answer = ranked.answer
                reranks[ranked.outcome] += 1
                if ranked.outcome != "skipped":
                    reranking.append((time.perf_counter() - started) * 1e3)
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
    summary = _summary(outcomes, composing, assistant.model)
    if settings.llm_rerank:
        summary |= _rerank_summary(reranks, reranking)
    return out, added, summary


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


def _rerank_summary(outcomes: Counter[str], ms: list[float]) -> dict[str, Any]:
    """The rerank's line (``CXC_LLM_RERANK``): how many answers and clarifications it was asked
    about, how many it changed, and each outcome's count. Accuracy and the wrong-answer rate of
    the report are then those of the reranked decisions."""
    asked = sum(n for o, n in outcomes.items() if o != "skipped")
    moved = outcomes["changed"] + outcomes["to_clarify"] + outcomes["to_answer"]
    return {
        "rerank_asked": asked,
        "rerank_changed_share": round(moved / asked, 4) if asked else None,
        "rerank_outcomes": dict(sorted(outcomes.items())),
        "rerank_ms_p50": round(float(np.percentile(ms, 50)), 2) if ms else None,
    }
