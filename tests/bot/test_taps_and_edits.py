"""Button taps and edits through the real Dispatcher: a tap whose acknowledgement Telegram did
not take (an outage) is still answered once and its update is done; a tap and an edit are stored
under their own reference, so an edit of an answered message is kept and answered."""

from __future__ import annotations

from harness import Harness
from sqlmodel import select

from core.models import Direction, InboundUpdate, UpdateStatus
from core.models.message import ReplyKind


async def test_a_tap_telegram_does_not_acknowledge_is_answered_once(harness: Harness) -> None:
    """The chaos day's Telegram outage failed answerCallbackQuery after the handover was stored;
    the update was retried and the first reply stayed without any delivery state for ever."""
    await harness.say("How do I return an item?")
    human = dict(harness.api.buttons())["Talk to a person"]
    harness.api.fail_next("answerCallbackQuery", status=502, description="Bad Gateway")
    await harness.tap(human)
    handovers = [s for s in harness.api.sent if "to a person" in s["text"]]
    assert len(handovers) == 1
    timeline = await harness.timeline((await harness.case()).id or 0)
    [reply] = [m for m in timeline if m.reply_kind == ReplyKind.ESCALATED]
    assert reply.meta.delivery == "sent"
    [tap] = [m for m in timeline if m.meta.via == "button"]
    assert tap.channel_message_id is not None and tap.channel_message_id.startswith("tap:")
    async with harness.sessions() as s:
        states = {u.update_id: u.status for u in (await s.exec(select(InboundUpdate))).all()}
    assert set(states.values()) == {UpdateStatus.DONE}, states


async def test_an_edit_of_an_answered_message_is_kept_and_answered(harness: Harness) -> None:
    first = await harness.say("How do I return an item?")
    message_id = first["message"]["message_id"]
    await harness.say("How do I return a parcel?", kind="edited_message", message_id=message_id)
    assert len(harness.api.sent) == 2
    assert harness.api.sent[-1]["text"].startswith("I reply to new messages only")
    timeline = await harness.timeline((await harness.case()).id or 0)
    inbound = [m for m in timeline if m.direction == Direction.INBOUND]
    assert [(m.text, m.meta.edited) for m in inbound] == [
        ("How do I return an item?", False),
        ("How do I return a parcel?", True),
    ]
