"""Every case the bot works on gets a contact reason: from the FAQ entry it answered with, else
the customer's words when it hands the case to a person; small talk leaves it open."""

from __future__ import annotations

from harness import Harness


async def test_an_answered_question_takes_the_reason_of_its_entry(harness: Harness) -> None:
    await harness.say("How long does delivery take?")
    assert (await harness.case()).topic == "delivery_info"


async def test_small_talk_leaves_the_reason_open_for_the_first_real_question(
    harness: Harness,
) -> None:
    await harness.say("Hello!")
    assert (await harness.case()).topic is None
    await harness.say("How do I return an item?")
    assert (await harness.case()).topic == "returns_refunds"


async def test_an_escalated_case_takes_the_reason_of_the_customers_words(
    harness: Harness,
) -> None:
    await harness.say("/human")
    assert (await harness.case()).topic is None  # "/human" names no reason
    await harness.say("Курьер опоздал на три часа, позовите оператора")
    case = await harness.case()
    assert case.owner == "human" and case.topic == "late_delivery"
