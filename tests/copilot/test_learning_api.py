"""The learning loop over HTTP: a customer's message escalates on the bot path, an operator
resolves the case linking an entry, a supervisor approves the candidate, and the same message is
answered -- by /v1/ask and by the bot. A fresh REAL knowledge base per test (approvals change it);
the shared session KB stays untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from core.conversation.inbound import Identity, Inbound
from core.conversation.replies import Reply, ReplyKind
from core.conversation.turn import Conversation
from tests.copilot.conftest import Users

FAQ = Path(__file__).resolve().parents[1] / "bot" / "faq.yaml"
ESCALATED = "пакет порвался, яйца разбились"
JOBS = "У вас есть вакансии?"


@pytest.fixture
def kb(tmp_path: Path) -> Iterator[Any]:  # overrides the shared session KB for this module
    from core.config import Settings
    from knowledge.retriever import build_knowledge
    from knowledge.sources import load_sources

    settings = Settings(env="test", data_dir=tmp_path / "kb", _env_file=None)  # type: ignore[call-arg]
    with build_knowledge(settings) as base:
        base.ingest_sync(load_sources([FAQ]))
        yield base


async def customer_says(app: FastAPI, text: str, external_id: str = "8080") -> Reply:
    """The bot's path for one Telegram message, on the app's database and knowledge base."""
    async with app.state.session_factory() as session:
        conversation = Conversation(
            retriever=app.state.retriever,
            settings=app.state.settings,
            render=lambda reply: str(reply.kind),
        )
        who = Identity(channel="telegram", external_id=external_id)
        return await conversation.handle(session, Inbound(identity=who, text=text))


async def resolve(client: httpx.AsyncClient, case_id: int, headers: dict[str, str], **extra: Any):
    body = {"resolution": "answered", "resolution_code": "answered", **extra}
    return await client.post(f"/v1/cases/{case_id}/resolve", json=body, headers=headers)


async def test_operators_teach_the_bot(
    app: FastAPI, client: httpx.AsyncClient, users: Users
) -> None:
    asked = await client.post("/v1/ask", json={"text": ESCALATED})
    assert asked.json()["decision"] == "escalate"
    first = await customer_says(app, ESCALATED)
    assert first.kind == ReplyKind.ESCALATED

    resolved = await resolve(
        client, first.case_id, users.operator, knowledge_entry_id="return-item"
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["knowledge_entry_id"] == "return-item"
    listed = await client.get("/v1/knowledge/candidates?status=proposed", headers=users.operator)
    [candidate] = listed.json()
    assert (candidate["entry_id"], candidate["text"], candidate["proposed_by"]) == (
        "return-item",
        ESCALATED,
        "olga",
    )
    assert candidate["nearest"] and all(n["entry_id"] for n in candidate["nearest"])
    url = f"/v1/knowledge/candidates/{candidate['id']}"
    assert (await client.post(url + "/approve", headers=users.operator)).status_code == 403

    approved = await client.post(url + "/approve", headers=users.supervisor)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", "sveta")
    again = await client.post(url + "/approve", headers=users.supervisor)
    assert again.status_code == 409
    assert (await client.post(url + "/reject", headers=users.admin)).status_code == 409

    answer = (await client.post("/v1/ask", json={"text": ESCALATED})).json()
    assert (answer["decision"], answer["entry_id"]) == ("answer", "return-item")
    # what an anonymous caller or another customer sees is the entry's question, never the
    # learned customer words (here its own question in the asker's language)
    assert answer["sources"][0]["question"] == "Как вернуть товар?"
    assert ESCALATED not in str(answer["sources"]) + str(answer["candidates"])
    reply = await customer_says(app, ESCALATED, external_id="8081")
    assert reply.kind == ReplyKind.ANSWER and reply.answer is not None
    assert reply.answer.entry_id == "return-item"
    assert all(s.question != ESCALATED for s in reply.answer.sources)
    empty = await client.get("/v1/knowledge/candidates?status=proposed", headers=users.supervisor)
    assert empty.json() == []


async def test_new_entry_and_rejection(
    app: FastAPI, client: httpx.AsyncClient, users: Users
) -> None:
    jobs = await customer_says(app, JOBS)
    other = await customer_says(app, ESCALATED, external_id="9090")
    assert jobs.kind == other.kind == ReplyKind.ESCALATED
    new_entry = {"question": "Do you have job openings?", "answer": "Write to jobs@example.com."}
    assert (await resolve(client, jobs.case_id, users.operator, new_entry=new_entry)).is_success
    assert (
        await resolve(client, other.case_id, users.operator, knowledge_entry_id="return-item")
    ).is_success
    first, second = (await client.get("/v1/knowledge/candidates", headers=users.admin)).json()
    assert first["new_entry_answer"] == "Write to jobs@example.com." and first["text"] == JOBS

    base = "/v1/knowledge/candidates/"
    made = await client.post(base + f"{first['id']}/approve", headers=users.admin)
    assert made.status_code == 200, made.text
    rejected = await client.post(
        base + f"{second['id']}/reject", json={"note": "a damaged order"}, headers=users.supervisor
    )
    assert (rejected.json()["status"], rejected.json()["note"]) == ("rejected", "a damaged order")

    answer = (await client.post("/v1/ask", json={"text": JOBS})).json()
    assert (answer["decision"], answer["entry_id"]) == ("answer", first["entry_id"])
    assert answer["text"] == "Write to jobs@example.com."
    still = (await client.post("/v1/ask", json={"text": ESCALATED})).json()
    assert still["decision"] == "escalate"
    listed = await client.get("/v1/knowledge/candidates?status=rejected", headers=users.operator)
    assert [c["id"] for c in listed.json()] == [second["id"]]


async def test_unknown_ids_and_bad_input(
    app: FastAPI, client: httpx.AsyncClient, users: Users
) -> None:
    case = await customer_says(app, ESCALATED)
    unknown = await resolve(client, case.case_id, users.operator, knowledge_entry_id="no-such")
    assert unknown.status_code == 404 and unknown.json()["error"] == "EntryNotFound"
    both = await resolve(
        client,
        case.case_id,
        users.operator,
        knowledge_entry_id="return-item",
        new_entry={"question": "q", "answer": "a"},
    )
    assert both.status_code == 422
    detail = (await client.get(f"/v1/cases/{case.case_id}", headers=users.operator)).json()
    assert detail["case"]["status"] == "open"
    for action in ("approve", "reject"):
        missing = await client.post(
            f"/v1/knowledge/candidates/4242/{action}", headers=users.supervisor
        )
        assert missing.status_code == 404
    assert (await client.get("/v1/knowledge/candidates")).status_code == 401
    bad = await client.get("/v1/knowledge/candidates?status=maybe", headers=users.operator)
    assert bad.status_code == 422


async def test_console_page(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/knowledge")
    assert page.status_code == 200 and "knowledge.js" in page.text
    script = await client.get("/console/static/knowledge.js")
    assert script.status_code == 200 and "/v1/knowledge/candidates" in script.text


async def test_approval_refuses_personal_data_and_changed_answers(
    app: FastAPI, client: httpx.AsyncClient, users: Users, db_session: Any
) -> None:
    from core.models import KnowledgeCandidate

    first = await customer_says(app, ESCALATED)
    said = f"мой телефон +7 912 345-67-89, {ESCALATED}"  # the operator's edit keeps a phone
    entry = {"knowledge_entry_id": "return-item", "phrasing": said}
    resolved = await resolve(client, first.case_id, users.operator, **entry)
    assert resolved.status_code == 200, resolved.text
    [masked] = (await client.get("/v1/knowledge/candidates", headers=users.operator)).json()
    assert masked["text"] == f"мой телефон [phone], {ESCALATED}"

    second = await customer_says(app, JOBS, external_id="8082")
    stolen = "How much does delivery cost?"  # delivery-cost's own question, picked by mistake
    edited = await resolve(
        client, second.case_id, users.operator, knowledge_entry_id="return-item", phrasing=stolen
    )
    assert edited.status_code == 200, edited.text
    listed = (await client.get("/v1/knowledge/candidates", headers=users.operator)).json()
    [wrong] = [c for c in listed if c["text"] == stolen]
    refused = await client.post(
        f"/v1/knowledge/candidates/{wrong['id']}/approve", headers=users.supervisor
    )
    assert refused.status_code == 409 and refused.json()["error"] == "AnswersWouldChange"
    assert stolen in refused.json()["detail"]
    answer = (await client.post("/v1/ask", json={"text": stolen})).json()
    assert answer["entry_id"] == "delivery-cost"

    raw = KnowledgeCandidate(
        case_id=first.case_id, entry_id="return-item", text="call +79123456789", proposed_by="x"
    )
    db_session.add(raw)
    await db_session.commit()
    personal = await client.post(
        f"/v1/knowledge/candidates/{raw.id}/approve", headers=users.supervisor
    )
    assert personal.status_code == 422 and personal.json()["error"] == "PersonalData"
