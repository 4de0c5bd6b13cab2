"""Operator replies made through the API (no Telegram sender in that process) are queued in the
database and sent by the bot's delivery loop exactly once."""

from __future__ import annotations

from harness import Harness
from sqlmodel import select

from core.desk import operators
from core.models import DeliveryStatus, Message, OutboundDelivery
from core.platform import auth


async def test_queued_operator_reply_is_sent_once(harness: Harness) -> None:
    await harness.say("/human")
    case = await harness.case()
    assert case.id is not None
    async with harness.sessions() as s:
        user, _token = await auth.create_user(s, name="olga", role="operator")
        message = await operators.reply(s, case_id=case.id, user=user, text="Refund sent today.")
    before = len(harness.api.sent)

    assert await harness.outbound.deliver_queued() == 1
    assert await harness.outbound.deliver_queued() == 0  # never sent twice

    [sent] = harness.api.sent[before:]
    assert sent["text"] == "Refund sent today."
    assert str(sent["chat_id"]) == str(harness.user["id"])
    async with harness.sessions() as s:
        row = (
            await s.exec(select(OutboundDelivery).where(OutboundDelivery.message_id == message.id))
        ).one()
        stored = await s.get(Message, message.id)
    assert row.status == DeliveryStatus.SENT and row.attempts == 1
    assert stored is not None and stored.meta.delivery == DeliveryStatus.SENT


async def test_failed_queued_reply_stays_visible(harness: Harness) -> None:
    await harness.say("/human")
    case = await harness.case()
    assert case.id is not None
    async with harness.sessions() as s:
        user, _token = await auth.create_user(s, name="ivan", role="operator")
        await operators.reply(s, case_id=case.id, user=user, text="Calling you now.")
    harness.api.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked")

    assert await harness.outbound.deliver_queued() == 1
    async with harness.sessions() as s:
        [row] = list(
            await s.exec(
                select(OutboundDelivery).where(OutboundDelivery.text == "Calling you now.")
            )
        )
    assert row.status == DeliveryStatus.FAILED and "blocked" in (row.error or "")
