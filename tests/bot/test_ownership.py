"""Hand back, reopen within the window, and messages that race a transition."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from harness import Harness

from bot.keyboards import ReopenCallback
from core.cases import lifecycle
from core.models import CaseStatus, Direction, Owner
from core.models.base import utcnow


async def _escalated_case_id(harness: Harness) -> int:
    await harness.say("/human")
    case = await harness.case()
    assert case.id is not None and case.owner == Owner.HUMAN
    return case.id


async def test_operator_hands_the_case_back_to_the_bot(harness: Harness) -> None:
    case_id = await _escalated_case_id(harness)
    await harness.say("Anyone there?")
    silent = len(harness.api.sent)
    async with harness.sessions() as s:
        await lifecycle.hand_back(s, case_id=case_id, operator="olga")
    await harness.say("Can I pay by card?")
    assert len(harness.api.sent) == silent + 1
    assert harness.api.sent[-1]["text"].startswith("We accept Visa, Mastercard and Mir")
    assert (await harness.case()).id == case_id


async def test_still_not_fixed_within_7_days_reopens(harness: Harness) -> None:
    case_id = await _escalated_case_id(harness)
    async with harness.sessions() as s:
        await lifecycle.resolve(
            s,
            case_id=case_id,
            resolution="courier re-sent",
            by="olga",
            now=utcnow() - timedelta(days=6),
        )
    await harness.say("It is still not fixed, the order did not come")
    text = harness.api.sent[-1]["text"]
    assert f"reopened your case #{case_id}" in text and "number 1 in the queue" in text
    case = await harness.case()
    assert (case.id, case.status, case.owner, case.reopen_count) == (
        case_id,
        CaseStatus.OPEN,
        Owner.HUMAN,
        1,
    )
    before = len(harness.api.sent)
    await harness.say("Hello?")  # human-owned again: stored, not answered
    assert len(harness.api.sent) == before


async def test_still_not_fixed_button_on_answers_reopens(harness: Harness) -> None:
    case_id = await _escalated_case_id(harness)
    async with harness.sessions() as s:
        await lifecycle.resolve(s, case_id=case_id, by="olga")
    await harness.say("How do I return an item?")  # a new bot conversation
    buttons = dict(harness.api.buttons())
    assert buttons["Still not fixed"] == ReopenCallback().pack()
    await harness.tap(ReopenCallback().pack())
    assert f"reopened your case #{case_id}" in harness.api.sent[-1]["text"]
    async with harness.sessions() as s:
        case = await lifecycle.get_case(s, case_id)
        active = await lifecycle.active_case(s, customer_id=case.customer_id)
    assert (case.reopen_count, case.owner) == (1, Owner.HUMAN)
    assert active is not None and active.id == case_id  # the short bot chat was folded away
    newest = await harness.case()
    assert (newest.status, newest.resolution_code) == (CaseStatus.CLOSED, "merged")


async def test_after_7_days_a_new_case_is_opened(harness: Harness) -> None:
    case_id = await _escalated_case_id(harness)
    async with harness.sessions() as s:
        await lifecycle.resolve(s, case_id=case_id, now=utcnow() - timedelta(days=8))
    await harness.say("Still not fixed: how long does delivery take?")
    case = await harness.case()
    assert case.id != case_id and case.owner == Owner.BOT
    assert harness.api.sent[-1]["text"].startswith("Orders placed before 14:00")
    assert "Still not fixed" not in dict(harness.api.buttons())


async def test_messages_racing_an_escalation_are_stored_and_answered_once(
    harness: Harness,
) -> None:
    await harness.say("How long does delivery take?")
    updates = [
        harness.updates.message(harness.user, "/human"),
        harness.updates.message(harness.user, "Where is my order?"),
        harness.updates.message(harness.user, "Hello?"),
    ]
    await asyncio.gather(*(harness.feed(u) for u in updates))
    case = await harness.case()
    inbound = [
        m.text for m in await harness.timeline(case.id or 0) if m.direction == Direction.INBOUND
    ]
    assert sorted(inbound) == sorted(
        ["How long does delivery take?", "/human", "Where is my order?", "Hello?"]
    )
    assert case.owner == Owner.HUMAN
    outbound = [
        m for m in await harness.timeline(case.id or 0) if m.direction == Direction.OUTBOUND
    ]
    assert len(outbound) == len(harness.api.sent)  # every stored reply sent, none twice
