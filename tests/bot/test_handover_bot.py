"""A request for a person, an angry complaint, a legal threat or an angry sticker goes to a
person at once, in every language: never an FAQ answer or a joke about the sticker."""

from __future__ import annotations

import pytest
from harness import Harness

from core.models import Owner

ANGRY_STICKER = {
    "sticker": {
        "file_id": "stk9",
        "file_unique_id": "u9",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "😡",
    }
}


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("дайте менеджера немедленно", "ru", "сотруднику"),
        ("з'єднайте мене з оператором, будь ласка", "uk", "співробітнику"),
        ("vreau să vorbesc cu un om, nu cu robotul", "ro", "unui coleg"),
        ("I need to talk to a real person, the courier never came", "en", "to a person"),
    ],
)
async def test_a_request_for_a_person_is_handed_over(
    harness: Harness, text: str, language: str, expected: str
) -> None:
    user = harness.updates.user(language=language)
    await harness.say(text, user=user)
    reply = harness.api.sent[-1]["text"]
    assert expected in reply
    case = await harness.case()
    assert case.owner == Owner.HUMAN


async def test_an_angry_complaint_gets_an_apology_and_a_person(harness: Harness) -> None:
    user = harness.updates.user(language="ru")
    await harness.say("курьер опоздал на 2 часа, еда холодная, иду в суд", user=user)
    reply = harness.api.sent[-1]["text"]
    assert reply.startswith("Мне очень жаль") and "сотруднику" in reply
    assert (await harness.case()).owner == Owner.HUMAN


async def test_an_angry_sticker_is_not_praised(harness: Harness) -> None:
    user = harness.updates.user(language="ru")
    await harness.say(None, user=user, **ANGRY_STICKER)
    reply = harness.api.sent[-1]["text"]
    assert "стикер" not in reply.lower() and "сотруднику" in reply
    assert (await harness.case()).owner == Owner.HUMAN
