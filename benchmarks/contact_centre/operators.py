"""The operators: each takes the unassigned cases of their share of the queue, reads the
suggestions, offers a compensation (a supervisor decides those above the operator's limit),
makes a promise, replies and resolves."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.contact_centre.context import DayContext, Operator
from benchmarks.contact_centre.ledger import CaseRecord, Offer
from benchmarks.contact_centre.population import Person

APPROVE_UP_TO = 4000.0
"""The supervisor approves offers worth up to this much and rejects the rest."""


async def operator_shift(ctx: DayContext, op: Operator, slot: int) -> None:
    """Work the queue until the customers are done and nothing is left."""
    n = len(ctx.operators)
    idle = 0
    while idle < 3:
        if time.monotonic() > ctx.deadline:
            ctx.ledger.notes.append(f"{op.name} stopped at the deadline with work left")
            return
        params = {"status": "open", "owner": "human", "assigned_to": "none", "limit": 500}
        queue = await ctx.api.ok("GET", "/v1/cases", op.token, params=params)
        handled = 0
        for case in queue:
            if case["id"] % n == slot and await _handle(ctx, op, case):
                handled += 1
        done = ctx.customers_done.is_set() and not ctx.busy
        idle = idle + 1 if done and not handled and not queue else 0
        if not handled:
            await asyncio.sleep(0.3)


async def _handle(ctx: DayContext, op: Operator, case: dict[str, Any]) -> bool:
    path = f"/v1/cases/{case['id']}"
    detail = await ctx.api.ok("GET", path, op.token)
    index = ctx.person_of(detail["identities"])
    if index is None or index in ctx.busy:
        return False  # not ours to guess, or the customer is still writing
    person = ctx.people[index]
    record = _record(ctx, index, case)
    if record is None:
        ctx.ledger.notes.append(f"case {case['id']} of person {index} was not expected: {case}")
        return False
    taken = await ctx.api.call("POST", f"{path}/assign", op.token)
    if taken.status_code != 200:
        ctx.ledger.notes.append(f"{op.name} could not take case {case['id']}: {taken.text}")
        return False
    record.case_id = case["id"]
    draft = await _suggestions(ctx, op, person, case["id"])
    codes: list[str] = []
    if person.affected_amount and record.kind != "recovery":
        codes = await _compensate(ctx, op, person, case["id"], person.affected_amount)
    if person.promise and record.kind != "recovery":
        due = (datetime.now(UTC) + timedelta(days=3)).isoformat()
        body = {"text": f"Refund for {person.order} within 3 days", "due_at": due}
        await ctx.api.ok("POST", f"{path}/promises", op.token, json=body)
    await _reply(ctx, op, person, record, draft, codes)
    resolution = {
        "resolution": f"{person.name}, {person.phone}: sorted out order {person.order}",
        "resolution_code": "recovered" if record.kind == "recovery" else "refund",
    }
    await ctx.api.ok("POST", f"{path}/resolve", op.token, json=resolution)
    record.resolved_by = op.name
    return True


def _record(ctx: DayContext, index: int, case: dict[str, Any]) -> CaseRecord | None:
    """The ledger's record this case is, by what the simulation expects of the person."""
    kind = case["origin_channel"]
    if (case.get("topic") or "").startswith("recovery"):
        kind = "recovery"
    for record in ctx.ledger.cases:
        if record.person != index or record.kind != kind or record.resolved_by is not None:
            continue
        if record.case_id in (None, case["id"]):
            record.escalated = True  # a bot reply the customer never saw may have handed over
            return record
    return None


async def _suggestions(ctx: DayContext, op: Operator, person: Person, case_id: int) -> str | None:
    """Read the suggestions; every other case the operator uses the draft (returned)."""
    path = f"/v1/cases/{case_id}/suggestions"
    got = await ctx.api.ok("GET", path, op.token)
    shown = [got["draft"], *(r["text"] for r in got["resolutions"])]
    shown += [r["title"] for r in got["resolutions"]]
    if got.get("compensation"):
        shown.append(got["compensation"]["reason"])
    ctx.ledger.suggestions.append((person.index, case_id, "\n".join(shown)))
    if case_id % 2:
        return None
    await ctx.api.ok("POST", f"{path}/accept", op.token, json={"kind": "draft"})
    ctx.ledger.accepted += 1
    return str(got["draft"])


def expected_offer(affected: float) -> float:
    """The default policy for a missing item: a promo code of 125% (300..10000, rounded up to
    50) and free delivery worth 199."""
    promo = min(max(affected * 1.25, 300.0), 10_000.0)
    return math.ceil(promo / 50) * 50 + 199.0


async def _compensate(
    ctx: DayContext, op: Operator, person: Person, case_id: int, affected: float
) -> list[str]:
    body = {"case_id": case_id, "issue_type": "missing_item", "affected_amount": affected}
    comp = await ctx.api.ok("POST", "/v1/compensations", op.token, json=body)
    status = comp["status"]
    if status == "pending_approval":
        decision = "approve" if comp["value"] <= APPROVE_UP_TO else "reject"
        sup = ctx.supervisor.token
        status = (await ctx.api.ok("POST", f"/v1/compensations/{comp['id']}/{decision}", sup))[
            "status"
        ]
    codes: list[str] = []
    if status == "approved":
        issued = await ctx.api.ok("POST", f"/v1/compensations/{comp['id']}/issue", op.token)
        status = issued["status"]
        codes = [str(i["code"]) for i in issued["items"] if i.get("code")]
        ctx.ledger.codes[person.index].extend(codes)
    ctx.ledger.offers.append(
        Offer(
            person=person.index,
            case_id=case_id,
            operator=op.name,
            limit=op.limit,
            expected_value=expected_offer(affected),
            value=float(comp["value"]),
            requires_approval=bool(comp["requires_approval"]),
            final_status=status,
        )
    )
    return codes


async def _reply(
    ctx: DayContext,
    op: Operator,
    person: Person,
    record: CaseRecord,
    draft: str | None,
    codes: list[str],
) -> None:
    own = f"{person.first_name}, about order {person.order}: it is sorted (case {record.case_id})."
    if codes:
        own += f" Your promo code: {', '.join(codes)}."
    text = f"{draft}\n\n{own}" if draft else own
    path = f"/v1/cases/{record.case_id}/messages"
    response = await ctx.api.call("POST", path, op.token, json={"text": text[:4000]})
    if record.kind == "email":
        message_id = response.json().get("id") if response.status_code == 201 else None
        assert record.case_id is not None
        ctx.ledger.email_replies.append(
            (person.index, record.case_id, response.status_code, message_id)
        )
    elif response.status_code != 201:
        ctx.ledger.notes.append(f"reply on case {record.case_id}: {response.status_code}")
