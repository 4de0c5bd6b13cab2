"""The bot end to end inside one process: real Dispatcher, real KB, real SQLite, fake Bot API."""

from __future__ import annotations

import logging

import pytest
from harness import Harness

from bot.keyboards import HumanCallback
from core.models import Author, CaseStatus, Direction, Owner


async def test_faq_answer_names_its_source_and_offers_buttons(harness: Harness) -> None:
    await harness.say("How long does delivery take?")
    [sent] = harness.api.sent
    assert sent["chat_id"] == str(harness.user["id"])
    assert sent["text"].startswith("Orders placed before 14:00 arrive the same day")
    assert "Source: How long does delivery take?" in sent["text"]
    labels = [label for label, _ in harness.api.buttons()]
    assert labels == ["Helped", "Talk to a person"]
    case = await harness.case()
    assert (case.owner, case.status, case.knowledge_entry_id) == (
        Owner.BOT,
        CaseStatus.OPEN,
        "delivery-time",
    )
    timeline = await harness.timeline(case.id or 0)
    talk = [
        (m.direction, m.author, m.text[:20]) for m in timeline if m.direction != Direction.INTERNAL
    ]
    assert talk == [
        (Direction.INBOUND, Author.CUSTOMER, "How long does delive"),
        (Direction.OUTBOUND, Author.BOT, "Orders placed before"),
    ]


async def test_answer_in_the_customers_language(harness: Harness) -> None:
    harness.user = harness.updates.user(222, first_name="Иван", language="ru")
    await harness.say("Сколько идёт доставка?")
    [sent] = harness.api.sent
    assert sent["text"].startswith("Заказы до 14:00 привозим в тот же день")
    assert "Источник: " in sent["text"]
    assert [label for label, _ in harness.api.buttons()] == ["Помогло", "Связаться с человеком"]


async def test_helped_resolves_the_bot_case(harness: Harness) -> None:
    await harness.say("Can I pay by card?")
    helped = dict((label, data) for label, data in harness.api.buttons())["Helped"]
    await harness.tap(helped)
    [answer] = harness.api.answered
    assert answer["text"] == "Glad it helped!"
    case = await harness.case()
    assert (case.status, case.resolution_code, case.knowledge_entry_id) == (
        CaseStatus.RESOLVED,
        "self_service",
        "pay-card",
    )
    assert len(harness.api.sent) == 1


async def test_unclear_question_is_escalated_honestly(harness: Harness) -> None:
    # Nothing in the fixture FAQ covers this. (A near-domain message such as "my parcel was
    # damaged and the courier was rude" is still answered with a wrong entry at the tuned default
    # thresholds: a known matcher limit, reported with issue 6.)
    await harness.say("Can you recommend a good film for tonight?")
    [sent] = harness.api.sent
    case = await harness.case()
    assert (case.owner, case.status) == (Owner.HUMAN, CaseStatus.OPEN)
    assert f"case #{case.id} to a person" in sent["text"]
    assert "number 1 in the queue; expected wait is about 3 min" in sent["text"]  # 6 min, 2 ops
    assert harness.api.buttons() == []


async def test_human_command_and_button_escalate(harness: Harness) -> None:
    await harness.say("/human")
    assert "to a person" in harness.api.sent[-1]["text"]
    assert (await harness.case()).owner == Owner.HUMAN
    await harness.tap(HumanCallback().pack())  # already queued: status, not an answer
    assert "already with our team: number 1 in the queue" in harness.api.sent[-1]["text"]
    assert len(harness.api.answered) == 1


async def test_talk_to_a_person_button_after_an_answer(harness: Harness) -> None:
    await harness.say("How do I return an item?")
    human = dict(harness.api.buttons())["Talk to a person"]
    await harness.tap(human)
    assert "to a person" in harness.api.sent[-1]["text"]
    case = await harness.case()
    assert case.owner == Owner.HUMAN


async def test_bot_stays_silent_while_a_human_owns_the_case(harness: Harness) -> None:
    await harness.say("/human")
    before = len(harness.api.sent)
    await harness.say("How long does delivery take?")  # the KB knows, but a person owns it
    await harness.say(
        None,
        sticker={
            "file_id": "stk1",
            "file_unique_id": "u1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        },
    )
    assert len(harness.api.sent) == before
    case = await harness.case()
    inbound = [m for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND]
    assert [m.text for m in inbound] == ["/human", "How long does delivery take?", ""]
    assert inbound[-1].attachments[0]["type"] == "sticker"


async def test_each_update_and_reply_is_one_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    await harness.say("How long does delivery take?")
    events = {r.getMessage(): r for r in caplog.records}
    assert "telegram update handled" in events and "bot reply" in events
    assert events["bot reply"].kind == "answer"  # type: ignore[attr-defined]
    assert "How long" not in " ".join(events)  # no customer text in the log
