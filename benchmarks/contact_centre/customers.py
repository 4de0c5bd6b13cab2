"""The customers: on Telegram they write to the webhook and read the Bot API; by e-mail and
phone they reach an operator, who records the contact through the API."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from benchmarks.contact_centre.botapi import Sent
from benchmarks.contact_centre.context import DayContext, Operator
from benchmarks.contact_centre.ledger import CaseRecord
from benchmarks.contact_centre.population import Person, Script


async def telegram_customer(ctx: DayContext, person: Person, delay_s: float) -> None:
    """One customer's day on Telegram: their script, then the pulse if a resolution came."""
    await asyncio.sleep(delay_s)
    await ctx.arrivals.wait()
    assert person.telegram_id is not None
    user = ctx.tg.user(person.telegram_id, person.first_name, person.last_name, person.language)
    record = ctx.ledger.open_case(person.index, "telegram")
    ctx.busy.add(person.index)
    try:
        await _script(ctx, person, user, record)
    finally:
        ctx.busy.discard(person.index)
    if record.resolved_by == "bot" or record.escalated:
        await _answer_pulse(ctx, person, user, record)


async def _script(
    ctx: DayContext, person: Person, user: dict[str, Any], record: CaseRecord
) -> None:
    if person.script == Script.HUMAN_TEXT:  # asking for a person always hands over
        await _say(ctx, person, user, person.complaint())
        await _say(ctx, person, user, person.handover)
        record.escalated = True
        return
    reply = await _say(ctx, person, user, person.faq)
    if reply is not None and reply.data("pick:"):  # a clarifying question: take the first
        reply = await _tap(ctx, user, reply.data("pick:")[0], reply, expect_reply=True)
    if reply is None:
        return
    if not reply.data("helped:"):  # the bot handed the case to a person
        record.escalated = True
        return
    if person.script == Script.FAQ_HELPED:
        await _tap(ctx, user, reply.data("helped:")[0], reply, expect_reply=False)
        record.resolved_by = "bot"
    elif person.script == Script.HUMAN_BUTTON:
        await _tap(ctx, user, "human", reply, expect_reply=True)
        record.escalated = True


async def _say(ctx: DayContext, person: Person, user: dict[str, Any], text: str) -> Sent | None:
    """Write ``text``; the bot's reply to it, or None when none came in time."""
    chat = user["id"]
    before = len(ctx.botapi.chat(chat))
    ctx.ledger.wrote[person.index].append(text)
    started = time.monotonic()
    await ctx.tg.post(ctx.tg.message(user, text))
    reply = await ctx.botapi.wait_for(chat, after=before, within_s=ctx.reply_timeout_s)
    if reply is None:
        ctx.ledger.no_reply.append((person.index, text))
    else:
        ctx.ledger.bot_latency_s.append(reply.at - started)
    return reply


async def _tap(
    ctx: DayContext, user: dict[str, Any], data: str, on: Sent, *, expect_reply: bool
) -> Sent | None:
    chat = user["id"]
    before = len(ctx.botapi.chat(chat))
    await ctx.tg.post(ctx.tg.callback(user, data, on.message_id))
    if not expect_reply:
        return None
    return await ctx.botapi.wait_for(chat, after=before, within_s=ctx.reply_timeout_s)


async def _answer_pulse(
    ctx: DayContext, person: Person, user: dict[str, Any], record: CaseRecord
) -> None:
    """Wait for the satisfaction pulse of the resolution; answer it as the plan says."""
    pulse = await _next_pulse(ctx, user["id"], within_s=ctx.pulse_timeout_s)
    if pulse is None:
        ctx.ledger.notes.append(f"person {person.index}: no pulse after their resolution")
        return
    plan = person.pulse
    if plan is None:
        return
    pulse_id = pulse.data("pulse:")[0].split(":")[1]
    ctx.busy.add(person.index)
    try:
        ces = await _tap(ctx, user, f"pulse:{pulse_id}:csat:{plan.csat}", pulse, expect_reply=True)
        if ces is None:
            return
        record.csat = plan.csat
        if (plan.csat) <= 2:
            ctx.ledger.open_case(person.index, "recovery", escalated=True)
        ask = await _tap(ctx, user, f"pulse:{pulse_id}:ces:{plan.ces}", ces, expect_reply=True)
        if ask is None:
            return
        record.ces = plan.ces
        if plan.csat > 2 and plan.ces <= 3:
            ctx.ledger.open_case(person.index, "recovery", escalated=True)
        if plan.comment:
            chat, before = user["id"], len(ctx.botapi.chat(user["id"]))
            await ctx.tg.post(ctx.tg.message(user, person.pulse_comment()))
            await ctx.botapi.wait_for(chat, after=before, within_s=ctx.reply_timeout_s)
        else:
            await _tap(ctx, user, f"pulse:{pulse_id}:skip:0", ask, expect_reply=True)
    finally:
        ctx.busy.discard(person.index)


async def _next_pulse(ctx: DayContext, chat: int, *, within_s: float) -> Sent | None:
    """The first CSAT question sent to ``chat`` (any message already there counts)."""
    deadline = time.monotonic() + within_s
    seen = 0
    while True:
        for message in ctx.botapi.chat(chat)[seen:]:
            if any(":csat:" in d for d in message.data("pulse:")):
                return message
        seen = len(ctx.botapi.chat(chat))
        left = deadline - time.monotonic()
        if left <= 0 or await ctx.botapi.wait_for(chat, after=seen, within_s=left) is None:
            return None


async def record_call(ctx: DayContext, person: Person, op: Operator) -> None:
    """A known customer called yesterday: the operator recorded the call and resolved it."""
    text = f"Phone call: asked where order {person.order} is"
    identity: dict[str, str] = {"phone": person.phone, "email": person.email}
    if person.telegram_id is not None:
        identity["telegram_id"] = str(person.telegram_id)
    done = await _interaction(ctx, op, "phone", identity, text)
    record = ctx.ledger.open_case(person.index, "phone", case_id=done["case_id"], escalated=True)
    ctx.ledger.wrote[person.index].append(text)
    if not done["customer_created"]:
        ctx.ledger.notes.append(f"person {person.index}: the first call found a customer")
    path = f"/v1/cases/{done['case_id']}"
    await ctx.api.ok("POST", f"{path}/assign", op.token)
    body = {
        "resolution": f"Told {person.name} ({person.phone}) that order {person.order} ships today",
        "resolution_code": "info",
    }
    await ctx.api.ok("POST", f"{path}/resolve", op.token, json=body)
    record.resolved_by = op.name


async def record_email(ctx: DayContext, person: Person, op: Operator) -> None:
    """An e-mail arrived: the operator records it on the customer it names (by address)."""
    text = person.email_text()
    done = await _interaction(ctx, op, "email", {"email": person.email}, text)
    ctx.ledger.wrote[person.index].append(text)
    ctx.ledger.open_case(person.index, "email", case_id=done["case_id"], escalated=True)
    if done["customer_created"] == person.known or not done["case_created"]:
        ctx.ledger.notes.append(
            f"person {person.index}: e-mail customer_created={done['customer_created']} "
            f"case_created={done['case_created']}, known={person.known}"
        )


async def _interaction(
    ctx: DayContext, op: Operator, channel: str, identity: dict[str, str], text: str
) -> dict[str, Any]:
    body = {
        "channel": channel,
        "identity": identity,
        "direction": "in",
        "text": text,
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    result: dict[str, Any] = await ctx.api.ok("POST", "/v1/interactions", op.token, json=body)
    return result
