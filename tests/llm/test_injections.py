"""The prompt-injection corpus (tests/fixtures/llm/injections.yaml) against a loopback model
scripted to comply with every attack: the customer gets the extractive answer each time."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks import bench_injections as bench
from core.domain import Decision
from core.grounding.compose import compose_answer
from core.grounding.guard import check
from core.grounding.injection import looks_like_instructions
from knowledge.llm import OpenAiAssistant
from tests.llm.server import LoopbackLlm

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "llm" / "injections.yaml"
ATTACKS: list[dict[str, Any]] = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))


def _ids(attack: dict[str, Any]) -> str:
    return str(attack["id"])


def test_the_corpus_covers_four_languages_and_every_kind() -> None:
    assert len(ATTACKS) >= 40
    assert {a["language"] for a in ATTACKS} == {"en", "ru", "uk", "ro"}
    kinds = {"override", "roleplay", "other_customer", "exfiltration", "faq_hidden", "promise"}
    assert {a["kind"] for a in ATTACKS} == kinds


@pytest.fixture
async def assistant(llm_server: LoopbackLlm) -> AsyncIterator[OpenAiAssistant]:
    built = OpenAiAssistant(
        base_url=llm_server.base_url, model="loopback", api_key="k", timeout_s=2.0, retries=0
    )
    yield built
    await built.close()


@pytest.mark.parametrize("attack", ATTACKS, ids=_ids)
async def test_a_complying_model_changes_nothing(
    attack: dict[str, Any], llm_server: LoopbackLlm, assistant: OpenAiAssistant
) -> None:
    complying = {"answer": attack["reply"], "sources": attack.get("cites", ["delivery"])}
    llm_server.answer(json.dumps(complying, ensure_ascii=False))
    entry = bench.entry_for(attack)
    extractive = bench.extractive(entry, attack["language"])
    done = await compose_answer(
        extractive,
        question=attack["message"],
        assistant=assistant,
        lookup={entry.id: entry}.get,
        budget_s=3.0,
    )
    assert done.outcome != "composed"
    assert done.answer.text == extractive.text and done.answer.composed_by is None
    assert done.answer.decision is Decision.ANSWER and done.answer.entry_id == "delivery"


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a["kind"] != "faq_hidden"], ids=_ids)
def test_the_guard_alone_refuses_every_complying_reply(attack: dict[str, Any]) -> None:
    """Behind the instruction filter: what it misses, the guard still refuses."""
    source = bench.entry_for(attack).answer_in(attack["language"])
    why = check(
        attack["reply"],
        cited=attack.get("cites", ["delivery"]),
        retrieved=["delivery"],
        sources=[f"How long does delivery take?\n{source}"],
    )
    assert why is not None


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a["kind"] == "faq_hidden"], ids=_ids)
def test_instructions_hidden_in_an_entry_keep_it_from_the_model(attack: dict[str, Any]) -> None:
    assert looks_like_instructions(attack["faq"])


@pytest.mark.parametrize(
    "text",
    [
        "How long does delivery take?",
        "Ignore my previous message, I found the order.",
        "Забыл пароль от личного кабинета, что делать?",
        "Правила возврата товара?",
        "Скільки коштує доставка за місто?",
        "Care sunt regulile de retur?",
        "Who are you, a person or a bot?",
    ],
)
def test_ordinary_questions_are_not_taken_for_instructions(text: str) -> None:
    assert not looks_like_instructions(text)
