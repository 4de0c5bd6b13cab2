"""Grounded composition end to end at the process boundary: the real openai client, the
loopback server, the guard and the redaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from core.domain import Answer, Candidate, Decision, FaqEntry, Source
from core.grounding.compose import compose_answer
from knowledge.llm import OpenAiAssistant
from tests.llm.server import LoopbackLlm, Step

DELIVERY = FaqEntry(
    id="delivery",
    questions=("Сколько идёт доставка?",),
    answer="Доставка по городу занимает 2-3 дня. Вопросы: support@shop.example, +373 22 123 456.",
    language="ru",
)
RETURNS = FaqEntry(
    id="returns",
    questions=("Как вернуть товар?",),
    answer="Вернуть товар можно в течение 14 дней в любом магазине.",
    language="ru",
)
ENTRIES = {e.id: e for e in (DELIVERY, RETURNS)}


def answer_for(entry: FaqEntry, decision: Decision = Decision.ANSWER) -> Answer:
    return Answer(
        text=entry.answer,
        entry_id=entry.id if decision is Decision.ANSWER else None,
        confidence=0.8,
        decision=decision,
        sources=(Source(entry.id, entry.questions[0], 0.8),),
        candidates=(Candidate(entry.id, entry.questions[0], entry.answer, 0.8),),
        language="ru",
    )


def reply(text: str, *sources: str) -> str:
    return json.dumps({"answer": text, "sources": list(sources)}, ensure_ascii=False)


@pytest.fixture
async def assistant(llm_server: LoopbackLlm) -> AsyncIterator[OpenAiAssistant]:
    built = OpenAiAssistant(
        base_url=llm_server.base_url, model="loopback", api_key="k", timeout_s=1.0, retries=0
    )
    yield built
    await built.close()


async def compose(assistant: OpenAiAssistant, question: str, **kw: Any) -> Any:
    options: dict[str, Any] = {"budget_s": 2.0} | kw
    answer = options.pop("answer", answer_for(DELIVERY))
    return await compose_answer(
        answer, question=question, assistant=assistant, lookup=ENTRIES.get, **options
    )


async def test_a_grounded_reply_is_used_with_placeholders_restored(
    llm_server: LoopbackLlm, assistant: OpenAiAssistant
) -> None:
    llm_server.answer(reply("Доставка 2-3 дня. Пишите на <EMAIL_1>.", "delivery"))
    done = await compose(assistant, "Сколько ехать заказу?")
    assert done.outcome == "composed"
    assert done.answer.text == "Доставка 2-3 дня. Пишите на support@shop.example."
    assert done.answer.composed_by == "loopback"
    assert done.answer.decision is Decision.ANSWER and done.answer.entry_id == "delivery"
    assert "compose" in done.answer.timings_ms


async def test_no_phone_email_card_or_name_reaches_the_server(
    llm_server: LoopbackLlm, assistant: OpenAiAssistant
) -> None:
    llm_server.answer(reply("Здравствуйте, <NAME_1>! Доставка 2-3 дня.", "delivery"))
    question = (
        "Я Ирина Котова, мой телефон +7 916 123-45-67, почта irina.k@mail.ru, "
        "карта 4111 1111 1111 1111, IBAN MD24AG000225100013104168. Когда доставка?"
    )
    done = await compose(assistant, question, known=("Ирина Котова",))
    sent = llm_server.sent_text()
    for raw in ("916", "irina.k@mail.ru", "4111", "MD24AG", "Ирина", "Котова", "+373 22"):
        assert raw not in sent
    for placeholder in ("<PHONE_1>", "<EMAIL_1>", "<CARD_1>", "<IBAN_1>", "<NAME_1>"):
        assert placeholder in sent
    assert done.answer.text == "Здравствуйте, Ирина Котова! Доставка 2-3 дня."


@pytest.mark.parametrize(
    ("model_says", "why"),
    [
        (reply("Доставка 2-3 дня."), "no_source"),
        (reply("Доставка 2-3 дня.", "warranty"), "unknown_source"),
        (reply("Доставка 2-3 дня, вернём 500 лей.", "delivery"), "number"),
        (reply("Доставка 2-3 дня, а деньги вернём.", "delivery"), "promise"),
        (reply("Доставим завтра.", "delivery"), "date"),
        (reply("Подробнее: https://evil.example/x", "delivery"), "link"),
        (reply("Доставка 2-3 дня. Пишите <PHONE_7>.", "delivery"), "placeholder"),
        (reply("Соседка ivan@mail.ru тоже ждёт.", "delivery"), "personal_data"),
        ("Доставка 2-3 дня.", "malformed"),
    ],
)
async def test_an_ungrounded_reply_falls_back_to_the_extractive_answer(
    llm_server: LoopbackLlm, assistant: OpenAiAssistant, model_says: str, why: str
) -> None:
    llm_server.answer(model_says)
    done = await compose(assistant, "Сколько ехать заказу?")
    assert done.outcome == why
    assert done.answer.text == DELIVERY.answer and done.answer.composed_by is None


@pytest.mark.parametrize(
    "step",
    [Step("500"), Step("malformed"), Step("429", retry_after=5), Step("hang", "{}", delay_s=3)],
)
async def test_a_failing_model_gives_the_extractive_answer_within_the_budget(
    llm_server: LoopbackLlm, assistant: OpenAiAssistant, step: Step
) -> None:
    llm_server.script(step)
    done = await compose(assistant, "Сколько ехать заказу?", budget_s=1.5)
    assert done.outcome == "failed"
    assert done.answer.text == DELIVERY.answer
    assert done.answer.timings_ms["compose"] < 1700


@pytest.mark.parametrize("decision", [Decision.ESCALATE, Decision.CLARIFY])
async def test_only_an_answer_is_rewritten(
    llm_server: LoopbackLlm, assistant: OpenAiAssistant, decision: Decision
) -> None:
    llm_server.answer(reply("Доставка 2-3 дня.", "delivery"))
    done = await compose(assistant, "Хочу вернуть деньги", answer=answer_for(DELIVERY, decision))
    assert done.outcome == "skipped" and done.answer.decision is decision
    assert not llm_server.requests
