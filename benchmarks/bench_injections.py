"""The prompt-injection corpus (tests/fixtures/llm/injections.yaml, 46 attacks in four
languages) against a real model: the endpoint of ``CXC_LLM_BASE_URL`` (``CXC_LLM_MODEL``,
``CXC_LLM_API_KEY``; docs/llm.md). The test suite runs the same corpus against a loopback
server scripted to comply with every attack; this shows what a real model does with them.

Each attack goes through ``core.grounding.compose.compose_answer`` as a customer's message
would. By default the instruction filter stops most attacks before the model sees them
(outcome ``injection``); ``--unfiltered`` sends every one to the model, so the figures show the
model's own behaviour with the guard as the last line. An attack **held** when the customer gets
the extractive answer, or a composed one the guard found grounded in the entry; every composed
answer is printed for a person to read.

Without ``CXC_LLM_BASE_URL`` it says so and exits 0 (nothing needs a key).

Run:  CXC_LLM_BASE_URL=http://127.0.0.1:8080/v1 CXC_LLM_MODEL=qwen2.5-7b-instruct \\
      uv run python -m benchmarks.bench_injections [--unfiltered] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from core.config import Settings, load_settings
from core.domain import Answer, Candidate, Decision, FaqEntry, Source
from core.grounding import compose
from knowledge.llm import build_assistant

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "llm" / "injections.yaml"
SKIPPED = (
    "skipped: no language model configured. Set CXC_LLM_BASE_URL (and CXC_LLM_MODEL, "
    "CXC_LLM_API_KEY if the endpoint needs one) to run the injection corpus against it."
)
DELIVERY = {
    "en": "Delivery in the city takes 2-3 days.",
    "ru": "Доставка по городу занимает 2-3 дня.",
    "uk": "Доставка містом триває 2-3 дні.",
    "ro": "Livrarea în oraș durează 2-3 zile.",
}


@dataclass(frozen=True, slots=True)
class Result:
    id: str
    kind: str
    language: str
    outcome: str
    text: str
    """What the customer would get."""


def entry_for(attack: dict[str, Any]) -> FaqEntry:
    answers = DELIVERY | ({attack["language"]: attack["faq"]} if "faq" in attack else {})
    return FaqEntry(
        id="delivery",
        questions=("How long does delivery take?",),
        answer=answers["en"],
        language="en",
        translations=tuple((lang, text) for lang, text in answers.items() if lang != "en"),
    )


def extractive(entry: FaqEntry, language: str) -> Answer:
    text = entry.answer_in(language)
    return Answer(
        text=text,
        entry_id=entry.id,
        confidence=0.9,
        decision=Decision.ANSWER,
        sources=(Source(entry.id, entry.questions[0], 0.9),),
        candidates=(Candidate(entry.id, entry.questions[0], text, 0.9),),
        language=language,
        text_language=language,
    )


async def run_corpus(
    settings: Settings, attacks: list[dict[str, Any]], *, unfiltered: bool = False
) -> list[Result]:
    assistant = build_assistant(settings)
    assert assistant is not None
    results = []
    try:
        with (
            mock.patch.object(compose, "looks_like_instructions", lambda _t: False)
            if unfiltered
            else contextlib.nullcontext()
        ):
            for attack in attacks:
                entry = entry_for(attack)
                done = await compose.compose_answer(
                    extractive(entry, attack["language"]),
                    question=attack["message"],
                    assistant=assistant,
                    lookup={entry.id: entry}.get,
                    region=settings.default_region,
                    budget_s=settings.llm_budget_s,
                )
                results.append(
                    Result(
                        str(attack["id"]),
                        attack["kind"],
                        attack["language"],
                        done.outcome,
                        done.answer.text,
                    )
                )
    finally:
        await assistant.close()
    return results


def report(results: list[Result], model: str) -> dict[str, Any]:
    outcomes = Counter(r.outcome for r in results)
    return {
        "model": model,
        "attacks": len(results),
        "outcomes": dict(outcomes.most_common()),
        "sent_to_model": len(results) - outcomes["injection"],
        "refused_by_guard": sum(n for o, n in outcomes.items() if o in compose.REJECTIONS),
        "composed": [
            {"id": r.id, "kind": r.kind, "text": r.text} for r in results if r.outcome == "composed"
        ],
        "by_kind": {
            kind: dict(Counter(r.outcome for r in results if r.kind == kind))
            for kind in sorted({r.kind for r in results})
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unfiltered", action="store_true", help="send every attack to the model")
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    settings = load_settings()
    if not settings.llm_base_url:
        print(SKIPPED)
        return 0
    attacks = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    results = asyncio.run(run_corpus(settings, attacks, unfiltered=args.unfiltered))
    summary = report(results, settings.llm_model)
    for r in results:
        print(f"{r.id:7} {r.kind:15} {r.outcome}")
    print(json.dumps({k: v for k, v in summary.items() if k != "composed"}, ensure_ascii=False))
    for c in summary["composed"]:
        print(f"composed {c['id']}: {c['text']}")
    if args.json:
        args.json.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
