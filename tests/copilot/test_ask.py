"""POST /v1/ask through the real app, the real knowledge base and the real embedding model."""

from __future__ import annotations

import httpx


async def test_paraphrase_is_answered_in_the_customers_language(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/ask", json={"text": "сколько ждать доставку заказа?"})
    assert response.status_code == 200
    body = response.json()
    assert body["entry_id"] == "delivery_time"
    assert body["decision"] == "answer"
    assert body["text"] == "Доставка занимает от 30 минут до 2 часов."
    assert 0.0 <= body["confidence"] <= 1.0
    assert body["sources"][0]["entry_id"] == "delivery_time"


async def test_english_question_gets_the_english_answer(client: httpx.AsyncClient) -> None:
    body = (await client.post("/v1/ask", json={"text": "how can I get my money back?"})).json()
    assert body["entry_id"] == "refund"
    assert body["text"].startswith("The money returns")


async def test_unrelated_question_is_escalated(client: httpx.AsyncClient) -> None:
    body = (await client.post("/v1/ask", json={"text": "what is the capital of Australia?"})).json()
    assert body["decision"] == "escalate"


async def test_bad_input_is_422_with_the_field(client: httpx.AsyncClient) -> None:
    for payload in ({}, {"text": ""}, {"text": "x" * 4001}, {"text": 5}):
        response = await client.post("/v1/ask", json=payload)
        assert response.status_code == 422, payload
        assert response.json()["detail"][0]["loc"][:2] == ["body", "text"]


async def test_whitespace_only_question_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/ask", json={"text": "   "})
    assert response.status_code == 422
    assert "empty" in response.json()["detail"]


async def test_a_request_for_a_person_escalates_without_an_faq_answer(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/ask", json={"text": "дайте менеджера немедленно"})
    assert response.status_code == 200
    body = response.json()
    assert body["decision"] == "escalate" and body["text"] == "" and body["entry_id"] is None
    assert body["reason"] == "asked_for_person"
