"""The bot with a language model: the real dispatcher, knowledge base and openai client against
the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from harness import Harness, MakeHarness

from core.config import Settings
from core.ports import Retriever
from knowledge.llm import OpenAiAssistant
from tests.llm.server import LoopbackLlm, Step, loopback_llm


@pytest.fixture
def llm_server() -> Iterator[LoopbackLlm]:
    with loopback_llm() as server:
        yield server


@pytest.fixture
async def llm_harness(
    make_harness: MakeHarness, knowledge_base: Retriever, llm_server: LoopbackLlm
) -> AsyncIterator[Harness]:
    assistant = OpenAiAssistant(
        base_url=llm_server.base_url, model="loopback", api_key="k", timeout_s=1.0, retries=0
    )
    yield await make_harness(knowledge_base, assistant=assistant)
    await assistant.close()


def _reply(text: str, *sources: str) -> str:
    return json.dumps({"answer": text, "sources": list(sources)}, ensure_ascii=False)


async def test_the_bot_sends_the_composed_answer_and_no_personal_data_leaves(
    llm_harness: Harness, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("<NAME_1>, заказы до 14:00 привозим в тот же день.", "delivery-time"))
    llm_harness.user = llm_harness.updates.user(333, first_name="Анастасия", language="ru")
    await llm_harness.say("Анастасия тут, тел. +7 916 123-45-67. Сколько идёт доставка?")
    [sent] = llm_harness.api.sent
    sent_out = llm_server.sent_text()
    assert "916" not in sent_out and "Анастасия" not in sent_out
    assert "<PHONE_1>" in sent_out and "<NAME_1>" in sent_out
    assert sent["text"].startswith("Анастасия, заказы до 14:00 привозим в тот же день.")


async def test_a_reply_promising_what_the_entry_does_not_is_never_sent(
    llm_harness: Harness, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("Привезём завтра, а если нет - вернём деньги.", "delivery-time"))
    llm_harness.user = llm_harness.updates.user(334, first_name="Ion", language="ru")
    await llm_harness.say("Сколько идёт доставка?")
    [sent] = llm_harness.api.sent
    assert sent["text"].startswith("Заказы до 14:00 привозим в тот же день")
    assert "вернём" not in sent["text"]


async def test_a_failing_model_leaves_the_bot_answering_as_before(
    llm_harness: Harness, llm_server: LoopbackLlm
) -> None:
    llm_server.script(Step("500"))
    await llm_harness.say("How long does delivery take?")
    [sent] = llm_harness.api.sent
    assert len(llm_server.requests) == 1
    assert sent["text"].startswith("Orders placed before 14:00 arrive the same day")


async def test_the_chat_shows_typing_while_the_model_composes(
    llm_harness: Harness, llm_server: LoopbackLlm
) -> None:
    llm_server.answer(_reply("Заказы до 14:00 привозим в тот же день.", "delivery-time"))
    await llm_harness.say("Сколько идёт доставка?")
    methods = [c.method for c in llm_harness.api.calls]
    assert "sendChatAction" in methods
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    action = next(c for c in llm_harness.api.calls if c.method == "sendChatAction")
    assert action.params["action"] == "typing"


async def test_without_a_model_no_typing_is_sent(harness: Harness) -> None:
    await harness.say("How long does delivery take?")
    assert "sendChatAction" not in [c.method for c in harness.api.calls]


async def test_the_crm_name_order_numbers_and_address_never_reach_the_model(
    llm_harness: Harness, llm_server: LoopbackLlm
) -> None:
    from core.models import CustomerOrder

    llm_server.answer(_reply("Заказы до 14:00 привозим в тот же день.", "delivery-time"))
    llm_harness.user = llm_harness.updates.user(335, first_name="M", language="ru")
    await llm_harness.say("привет")
    customer = await llm_harness.customer()
    async with llm_harness.sessions() as s:
        customer.name = "Мария Ковальчук"  # as the CRM knows her
        customer.attributes = {"address": "Тверская 7"}
        s.add(customer)
        assert customer.id is not None
        s.add(
            CustomerOrder(customer_id=customer.id, source="crm", external_id="1", number="SO-88412")
        )
        await s.commit()
    llm_server.requests.clear()
    await llm_harness.say(
        "Сколько идёт доставка? Ковальчук, посылка SO-88412 на Тверская 7, паспорт 4506 123456"
    )
    sent_out = llm_server.sent_text()
    assert llm_server.requests, "the answer was composed"
    for value in ("Ковальчук", "SO-88412", "Тверская", "4506"):
        assert value not in sent_out, value
    assert "<NAME_1>" in sent_out and "<REF_1>" in sent_out and "<PASSPORT_1>" in sent_out


async def test_with_the_rerank_on_out_of_scope_still_goes_to_a_person(
    make_harness: MakeHarness,
    knowledge_base: Retriever,
    llm_server: LoopbackLlm,
    bot_settings: Settings,
) -> None:
    def model(request: dict[str, Any]) -> str:
        prompt = request["messages"][1]["content"]
        if request["messages"][0]["content"].startswith("You rank FAQ entries"):
            entries = json.loads(prompt.split("Candidate entries:\n", 1)[1].split("\n\n", 1)[0])
            return json.dumps({"entry": entries[0]["id"]})
        return _reply("Заказы до 14:00 привозим в тот же день.", "delivery-time")

    llm_server.answer(model)
    assistant = OpenAiAssistant(
        base_url=llm_server.base_url, model="loopback", api_key="k", timeout_s=1.0, retries=0
    )
    settings = bot_settings.model_copy(update={"llm_rerank": True})
    harness = await make_harness(knowledge_base, settings=settings, assistant=assistant)
    try:
        harness.user = harness.updates.user(336, first_name="Ion", language="ru")
        await harness.say("Сколько идёт доставка?")
        kinds = [r["messages"][0]["content"][:20] for r in llm_server.requests]
        assert kinds[0].startswith("You rank FAQ") and len(kinds) == 2  # reranked, composed
        assert harness.api.sent[-1]["text"].startswith("Заказы до 14:00")
        llm_server.requests.clear()
        await harness.say("Какая столица Австралии?")
        assert not llm_server.requests
        case = await harness.case()
        assert case.owner == "human"  # out of scope: escalated, as without a model
    finally:
        await assistant.close()
