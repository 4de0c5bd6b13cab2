"""The day's delivery-order check on a hand-made record: what it lets through and what not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.contact_centre import checks
from benchmarks.contact_centre.audit import Audit
from benchmarks.contact_centre.botapi import BotApiRecord, Sent
from benchmarks.contact_centre.day import DayConfig, DayResult
from benchmarks.contact_centre.ledger import Ledger

CHAT = 700000003
UNKNOWN = "outcome unknown: the sender stopped during the send; check the chat before resending"


def _delivery(id_: int, status: str, parts: int, error: str | None = None) -> dict[str, Any]:
    return {
        "id": id_,
        "channel": "telegram",
        "external_id": str(CHAT),
        "status": status,
        "message_id": 100 + id_,
        "parts_sent": parts,
        "error": error,
        "provider_message_id": str(10000 + id_) if status == "sent" else None,
    }


def _day(deliveries: list[dict[str, Any]], arrived: list[int]) -> DayResult:
    record = BotApiRecord()
    record.sent[CHAT] = [Sent(CHAT, f"reply {i}", [], 10000 + i, float(i)) for i in arrived]
    timeline = [{"id": d["message_id"], "text": f"reply {d['id']}"} for d in deliveries]
    audit = Audit(timelines={0: timeline}, db={"deliveries": deliveries})
    return DayResult(DayConfig(Path(".")), Ledger([]), record, audit, {}, {}, 0)


def test_a_send_of_unknown_outcome_may_have_arrived_or_not() -> None:
    log = [_delivery(1, "failed", 0, UNKNOWN), _delivery(2, "sent", 1)]
    assert checks.in_order(_day(log, [1, 2])) == []
    assert checks.in_order(_day(log, [2])) == []


def test_a_message_outside_the_log_or_a_lost_one_is_reported() -> None:
    log = [_delivery(1, "failed", 0, "Forbidden: bot was blocked"), _delivery(2, "sent", 1)]
    assert checks.in_order(_day(log, [1, 2]))
    assert checks.in_order(_day([_delivery(2, "sent", 1)], []))
    unknown_twice = [_delivery(1, "failed", 0, UNKNOWN)]
    assert checks.in_order(_day(unknown_twice, [1, 1]))
