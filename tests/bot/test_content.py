"""Commands, clarify buttons, content the KB cannot answer, and duplicate updates."""

from __future__ import annotations

from typing import Any

import pytest
from factories import make_customer
from fakes import Updates
from harness import Harness, MakeHarness
from sqlmodel import select

from bot.keyboards import HumanCallback, LanguageCallback, PickCallback
from core.conversation.replies import MAX_TEXT_CHARS
from core.models import CaseEvent, CaseStatus, Direction, InboundUpdate, Owner, UpdateStatus
from core.ports import Retriever

STICKER = {
    "sticker": {
        "file_id": "stk1",
        "file_unique_id": "u1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "😀",
    }
}
PHOTO = {
    "photo": [
        {"file_id": "ph-s", "file_unique_id": "p1", "width": 90, "height": 90},
        {"file_id": "ph-l", "file_unique_id": "p2", "width": 1280, "height": 960},
    ]
}
VOICE = {
    "voice": {"file_id": "vc1", "file_unique_id": "v1", "duration": 4, "mime_type": "audio/ogg"}
}
DOCUMENT = {
    "document": {
        "file_id": "doc1",
        "file_unique_id": "d1",
        "file_name": "receipt.pdf",
        "mime_type": "application/pdf",
        "file_size": 2048,
    }
}


@pytest.mark.parametrize(
    ("content", "expected", "attachment"),
    [
        (STICKER, "Nice sticker! I understand text best", "sticker"),
        (PHOTO, "Thank you, I have saved your photo on your case", "photo"),
        (VOICE, "Thank you, I have saved your voice message on your case", "voice"),
        (DOCUMENT, "Thank you, I have saved your document on your case", "document"),
    ],
)
async def test_media_gets_a_useful_reply_and_is_recorded(
    harness: Harness, content: dict[str, Any], expected: str, attachment: str
) -> None:
    await harness.say(None, **content)
    [sent] = harness.api.sent
    assert sent["text"].startswith(expected)
    assert "Talk to a person" in dict(harness.api.buttons())
    case = await harness.case()
    [inbound] = [
        m for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND
    ]
    assert inbound.attachments[0]["type"] == attachment
    if attachment == "photo":
        assert inbound.attachments[0]["file_id"] == "ph-l"  # the largest size


async def test_photo_with_a_question_in_the_caption_is_answered(harness: Harness) -> None:
    await harness.say(None, caption="How do I return an item?", **PHOTO)
    assert harness.api.sent[-1]["text"].startswith("You can return an item within 14 days")
    case = await harness.case()
    inbound = [m for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND]
    assert inbound[0].attachments[0]["type"] == "photo"


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("😀😀🎉", "message", "I understand words better than emoji"),
        ("word " * (MAX_TEXT_CHARS // 4), "message", "Thank you, I have saved your whole message"),
        ("How long does delivery take?", "edited_message", "I reply to new messages only"),
    ],
)
async def test_text_the_kb_should_not_see(
    harness: Harness, text: str, kind: str, expected: str
) -> None:
    await harness.say(text, kind=kind)
    [sent] = harness.api.sent
    assert sent["text"].startswith(expected)
    case = await harness.case()
    [inbound] = [
        m for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND
    ]
    assert inbound.text == text  # stored in full
    assert inbound.meta.edited == (kind == "edited_message")


async def test_start_with_deep_link_is_stored_and_returning_customer_greeted(
    harness: Harness,
) -> None:
    await harness.say("/start order_12345")
    first = harness.api.sent[-1]["text"]
    assert first.startswith("Hello, Anna! I am the support assistant")
    assert "order 12345" in first
    customer = await harness.customer()
    assert customer.attributes["order"] == "12345"
    assert customer.attributes["start_payloads"] == ["order_12345"]
    await harness.say("/start")
    assert harness.api.sent[-1]["text"].startswith("Welcome back, Anna!")


async def test_known_customer_is_greeted_by_the_name_we_have(harness: Harness) -> None:
    async with harness.sessions() as s:
        await make_customer(
            s, telegram_id=str(harness.user["id"]), name="Maria Ivanova", language="ro"
        )
    await harness.say("/start")
    assert harness.api.sent[-1]["text"] == "Bine ați revenit, Maria Ivanova! Cu ce vă pot ajuta?"
    assert (await harness.customer()).language == "ro"  # not overwritten by Telegram's "en"


async def test_help_and_language(harness: Harness) -> None:
    await harness.say("/help")
    assert "/human" in harness.api.sent[-1]["text"]
    await harness.say("/language")
    codes = ("ru", "uk", "ro", "en")
    assert [d for _, d in harness.api.buttons()] == [LanguageCallback(code=c).pack() for c in codes]
    await harness.tap(LanguageCallback(code="uk").pack())
    assert harness.api.sent[-1]["text"] == "Готово, пишу українською."
    assert (await harness.customer()).language == "uk"
    await harness.say("/human")
    assert "передав ваше звернення" in harness.api.sent[-1]["text"]


async def test_clarify_offers_candidates_and_a_tap_answers(
    make_harness: MakeHarness, clarifying_kb: Retriever
) -> None:
    harness = await make_harness(clarifying_kb)
    await harness.say("delivery")
    assert harness.api.sent[-1]["text"] == "Which of these do you mean? Tap one:"
    buttons = harness.api.buttons()
    picks = [(label, data) for label, data in buttons if data.startswith(PickCallback.__prefix__)]
    assert 2 <= len(picks) <= 3 and buttons[-1] == ("Talk to a person", HumanCallback().pack())
    case = await harness.case()
    clarify = [
        m for m in await harness.timeline(case.id or 0) if m.direction == Direction.OUTBOUND
    ][-1]
    first = clarify.meta.candidates[0]
    assert picks[0] == (first.question, PickCallback(message_id=clarify.id, index=0).pack())
    await harness.tap(picks[0][1])
    entry = clarifying_kb.entry(first.entry_id)
    assert entry is not None
    assert harness.api.sent[-1]["text"].startswith(entry.answer_in("en"))
    assert len(harness.api.answered) == 1
    assert (await harness.case()).knowledge_entry_id == first.entry_id


async def test_someone_elses_button_is_refused(harness: Harness) -> None:
    await harness.say("Can I pay by card?")
    helped = dict(harness.api.buttons())["Helped"]
    harness.user = harness.updates.user(999, first_name="Eve")
    await harness.tap(helped)
    assert harness.api.answered[-1]["text"] == "This button is no longer active."


async def test_duplicate_update_is_processed_once(harness: Harness) -> None:
    update = harness.updates.message(harness.user, "How long does delivery take?")
    await harness.feed(update)
    await harness.feed(update)
    assert len(harness.api.sent) == 1
    async with harness.sessions() as s:
        rows = (await s.exec(select(InboundUpdate))).all()
    assert [(r.update_id, r.status, r.attempts) for r in rows] == [
        (update["update_id"], UpdateStatus.DONE, 1)
    ]
    case = await harness.case()
    inbound = [m for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND]
    assert len(inbound) == 1


async def test_duplicate_is_detected_from_the_database_after_a_restart(
    harness: Harness, make_harness: MakeHarness, knowledge_base: Retriever
) -> None:
    update = harness.updates.message(harness.user, "How long does delivery take?")
    await harness.feed(update)
    restarted = await make_harness(knowledge_base)  # fresh memory guard, same database
    await restarted.feed(update)
    assert len(harness.api.sent) == 1 and restarted.api.sent == []


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("ru", "Привет!", "Здравствуйте! Какой у вас вопрос?"),
        ("en", "hello there 👋", "Hello! What is your question?"),
        ("ru", "спасибо большое", "Пожалуйста! Могу ещё чем-то помочь?"),
        ("ro", "Mulțumesc frumos", "Cu plăcere!"),
    ],
)
async def test_greetings_and_thanks_get_a_polite_reply_and_no_operator(
    harness: Harness, language: str, text: str, expected: str
) -> None:
    harness.user = Updates.user(language=language)
    await harness.say(text)
    [sent] = harness.api.sent
    assert sent["text"].startswith(expected)
    case = await harness.case()
    assert (case.owner, case.status) == (Owner.BOT, CaseStatus.OPEN)
    await harness.say("How do I return an item?")  # the question that follows is answered
    assert harness.api.sent[-1]["text"] != sent["text"]
    assert (await harness.case()).knowledge_entry_id == "return-item"


async def test_a_second_unsure_turn_hands_over_instead_of_asking_again(
    make_harness: MakeHarness, clarifying_kb: Retriever
) -> None:
    """The two-step fallback: choices once, then a person (not a second list of choices)."""
    harness = await make_harness(clarifying_kb)
    await harness.say("delivery")
    assert harness.api.sent[-1]["text"] == "Which of these do you mean? Tap one:"
    assert (await harness.case()).owner == Owner.BOT
    await harness.say("payment")  # unsure again, typed instead of tapping a choice
    case = await harness.case()
    assert case.owner == Owner.HUMAN
    events = [m for m in await harness.timeline(case.id or 0) if m.event == CaseEvent.ESCALATED]
    assert [e.meta.reason for e in events] == ["unsure_twice"]
    assert "Which of these" not in harness.api.sent[-1]["text"]
    assert not [d for _, d in harness.api.buttons() if d.startswith(PickCallback.__prefix__)]


async def test_a_tapped_choice_resets_the_fallback(
    make_harness: MakeHarness, clarifying_kb: Retriever
) -> None:
    harness = await make_harness(clarifying_kb)
    await harness.say("delivery")
    picks = [d for _, d in harness.api.buttons() if d.startswith(PickCallback.__prefix__)]
    await harness.tap(picks[0])  # answered: the next unsure turn offers choices again
    await harness.say("payment")
    assert harness.api.sent[-1]["text"] == "Which of these do you mean? Tap one:"
    assert (await harness.case()).owner == Owner.BOT


async def test_an_answer_without_the_customers_language_says_which_language_it_is_in(
    harness: Harness,
) -> None:
    harness.user = Updates.user(language="uk")  # the entry has en and ru, no uk
    await harness.say("How much does delivery cost?")
    text = harness.api.sent[-1]["text"]
    assert text.startswith("Ця відповідь у нас є лише мовою: English.")
    assert "Delivery is free from 1,500 RUB" in text
    harness.user = Updates.user(user_id=77, language="ru")  # one it has: no note
    await harness.say("Сколько стоит доставка?")
    assert harness.api.sent[-1]["text"].startswith("Доставка бесплатна от 1 500 ₽")
