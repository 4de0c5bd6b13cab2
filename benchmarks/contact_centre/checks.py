"""What a user checks after the day, each as a list of problems (empty: it holds)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from benchmarks.contact_centre.botapi import BotApiRecord
from benchmarks.contact_centre.day import DayResult
from bot.outbound import split_text

DONE = ("sent", "failed")


def stored(r: DayResult) -> list[str]:
    """Every message a customer wrote (Telegram, e-mail, phone) is on their timeline, once
    (a button tap is stored as an empty customer message: not a message they wrote)."""
    problems = []
    for person, texts in r.ledger.wrote.items():
        timeline = r.audit.timelines.get(person, [])
        got = Counter(m["text"] for m in timeline if m["author"] == "customer" and m["text"])
        want = Counter(texts)
        if got != want:
            problems.append(f"person {person}: missing {want - got}, extra {got - want}")
    return problems


def delivered(r: DayResult) -> list[str]:
    """Every bot and operator reply on Telegram went out or visibly failed; each one that went
    out reached the customer's chat; the delivery log has nothing left in flight."""
    problems = []
    for person, timeline in r.audit.timelines.items():
        chat = r.ledger.people[person].telegram_id
        texts = {s.text for s in r.bot_api.sent.get(chat or -1, [])}
        for m in timeline:
            if m["direction"] != "out" or m["channel"] != "telegram":
                continue
            state = m["meta"].get("delivery")
            if state not in DONE:
                problems.append(f"person {person}: reply {m['id']} is {state!r}")
            elif state == "sent" and m["text"][:4096] not in texts:
                problems.append(f"person {person}: reply {m['id']} 'sent' but not in the chat")
    for d in r.audit.db["deliveries"]:
        if d["channel"] == "telegram" and d["status"] not in DONE:
            problems.append(f"delivery {d['id']} to {d['external_id']} left {d['status']}")
    for u in r.audit.db["updates"]:
        if u["status"] != "done":
            problems.append(f"update {u['update_id']} left {u['status']}: {u['error']}")
    return problems


def email_replies(r: DayResult) -> list[str]:
    """An operator's reply by e-mail is refused at once (409) or goes out or fails visibly:
    never pending forever."""
    problems = []
    meta = {m["id"]: m["meta"] for t in r.audit.timelines.values() for m in t}
    for person, case_id, status, message_id in r.ledger.email_replies:
        if status == 409:
            continue
        state = meta.get(message_id, {}).get("delivery") if message_id else None
        if status != 201 or state not in DONE:
            problems.append(f"person {person} case {case_id}: HTTP {status}, delivery {state!r}")
    return problems


def no_duplicates(r: DayResult) -> list[str]:
    """No chat got the same message (text and buttons) twice."""
    return [
        f"chat {chat}: {n} x {key[0][:60]!r}"
        for chat, sent in r.bot_api.sent.items()
        for key, n in Counter(s.key for s in sent).items()
        if n > 1
    ]


def in_order(r: DayResult) -> list[str]:
    """Each chat got its messages in the order they were queued (the delivery log's order), and
    exactly what the log says went out: no message outside it, none twice.
    A send whose outcome is unknown (the sender stopped during it) may have reached the chat
    or not: its parts not recorded as sent may have arrived, and no more."""
    problems = []
    log: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in r.audit.db["deliveries"]:
        if d["channel"] == "telegram":
            log[int(d["external_id"])].append(d)
    texts = {m["id"]: m["text"] for t in r.audit.timelines.values() for m in t}
    for chat in set(log) | set(r.bot_api.sent):
        rows = log.get(chat, [])
        got = [s.message_id for s in r.bot_api.sent.get(chat, [])]
        least = sum(d["parts_sent"] for d in rows)
        most = least + sum(_unknown_parts(d, texts) for d in rows)
        if not least <= len(got) <= most:
            problems.append(f"chat {chat}: got {len(got)} messages, the log sent {rows}")
        sent = [int(d["provider_message_id"]) for d in rows if d["status"] == "sent"]
        if sent != sorted(sent) or not set(sent) <= set(got):
            problems.append(f"chat {chat}: deliveries {[d['id'] for d in rows]} arrived as {sent}")
    return problems


def _unknown_parts(delivery: dict[str, Any], texts: dict[int, str]) -> int:
    """How many parts of a delivery whose outcome is unknown may have arrived unrecorded."""
    if not (delivery["error"] or "").startswith("outcome unknown"):
        return 0
    text = texts.get(delivery["message_id"])
    total = len(split_text(text)) if text is not None else 1
    return max(total - delivery["parts_sent"], 0)


def retry_after(r: DayResult) -> list[str]:
    """After a 429 no message was tried in that chat before its ``retry_after`` was over."""
    return early_retries(r.bot_api)


def early_retries(record: BotApiRecord, slack_s: float = 0.2) -> list[str]:
    """The chats tried again before the ``retry_after`` of a 429 was over."""
    problems = []
    for chat, refusals in record.throttled.items():
        tries = record.tries.get(chat, [])
        for at, wait in refusals:
            early = [t - at for t in tries if at < t < at + wait - slack_s]
            if early:
                problems.append(f"chat {chat}: tried {early[0]:.2f}s after a 429 of {wait:g}s")
    return problems


def privacy(r: DayResult) -> list[str]:
    """No message, suggestion, draft or pulse for one customer holds another's personal data."""
    owner_of: dict[str, int] = {}
    for p in r.ledger.people:
        for item in r.ledger.personal_data(p.index):
            owner_of[item] = p.index
    chats = {p.telegram_id: p.index for p in r.ledger.people if p.telegram_id}
    seen: list[tuple[int, str, str]] = [
        (chats[chat], "chat", s.text) for chat, sent in r.bot_api.sent.items() for s in sent
    ]
    seen += [(p, f"suggestions of case {c}", text) for p, c, text in r.ledger.suggestions]
    seen += [
        (p, f"timeline message {m['id']}", m["text"])
        for p, timeline in r.audit.timelines.items()
        for m in timeline
    ]
    items = sorted(owner_of, key=len, reverse=True)
    pattern = re.compile("(?:" + "|".join(map(re.escape, items)) + r")(?![\w-])")
    problems = []
    for person, where, text in seen:
        for found in {m.group(0) for m in pattern.finditer(text)}:
            if owner_of[found] != person:
                problems.append(f"person {person}, {where}: holds {found!r} of {owner_of[found]}")
    return problems


def pulses(r: DayResult) -> list[str]:
    """One pulse per resolution, sent to the customer of the resolved case; every low score
    has its recovery case; no survey the day did not call for."""
    db = r.audit.db
    case_of = {c["id"]: c for c in db["cases"]}
    tg = {
        i["customer_id"]: int(i["external_id"])
        for i in db["identities"]
        if i["channel"] == "telegram"
    }
    problems = []
    per_resolution = Counter((p["case_id"], p["resolved_at"]) for p in db["pulses"] if p["case_id"])
    problems += [f"{n} pulses for resolution {k}" for k, n in per_resolution.items() if n > 1]
    for c in db["cases"]:
        if c["resolved_at"] is not None and (c["id"], c["resolved_at"]) not in per_resolution:
            problems.append(f"case {c['id']} resolved without a pulse")
    by_id = {p["id"]: p for p in db["pulses"]}
    for chat, sent in r.bot_api.sent.items():
        for s in sent:
            ids = {int(d.split(":")[1]) for d in s.data("pulse:")}
            for pid in ids:
                p = by_id.get(pid)
                if p is None or p["kind"] != "csat_ces":
                    problems.append(f"chat {chat}: a survey {p and p['kind']} nobody called for")
                elif tg.get(case_of[p["case_id"]]["customer_id"]) != chat:
                    problems.append(f"chat {chat}: pulse {pid} is about another customer's case")
    for p in db["pulses"]:
        low = (p["csat"] or 5) <= 2 or (p["ces"] or 7) <= 3
        rec = case_of.get(p["recovery_case_id"]) if p["recovery_case_id"] else None
        if low and (rec is None or rec["customer_id"] != p["customer_id"]):
            problems.append(f"pulse {p['id']}: low score without the customer's recovery case")
        if p["channel"] == "telegram" and p["status"] not in ("sent", "answered", "failed"):
            problems.append(f"pulse {p['id']} on telegram left {p['status']}")
    return problems


def summary(r: DayResult) -> list[str]:
    """The supervisor's summary (no filter) has the day's figures."""
    got, want = r.audit.summary, r.ledger.expected_summary()
    return [
        f"{name}: summary {got.get(name)!r}, the day's record {value!r}"
        for name, value in want.items()
        if not _same(got.get(name), value)
    ]


def resolution_log(r: DayResult) -> list[str]:
    """The resolution log has one row per resolution, with the right owner path, operator and
    CSAT."""
    rows = r.audit.resolution_log
    resolved = [c for c in r.ledger.cases if c.resolved_by is not None]
    got: dict[str, Any] = {
        "rows": len(rows),
        "bot": sum(row["owner_path"] == "bot" for row in rows),
        "operators": Counter(row["operator"] for row in rows if row["owner_path"] != "bot"),
        "csat": sorted(int(row["csat"]) for row in rows if row["csat"]),
    }
    want: dict[str, Any] = {
        "rows": len(resolved),
        "bot": sum(c.resolved_by == "bot" and not c.escalated for c in resolved),
        "operators": Counter(c.resolved_by for c in resolved if c.resolved_by != "bot"),
        "csat": sorted(c.csat for c in resolved if c.csat is not None),
    }
    return [f"{k}: log {got[k]!r}, the day's record {want[k]!r}" for k in want if got[k] != want[k]]


def compensations(r: DayResult) -> list[str]:
    """Each offer is worth what the policy says; above the operator's limit it waited for the
    supervisor, within it it did not."""
    problems = []
    for o in r.ledger.offers:
        needs = o.expected_value > o.limit
        if abs(o.value - o.expected_value) > 0.005 or o.requires_approval != needs:
            problems.append(
                f"case {o.case_id} by {o.operator} (limit {o.limit:g}): value {o.value:g} "
                f"(policy {o.expected_value:g}), requires_approval={o.requires_approval}"
            )
    return problems


def crashes(r: DayResult) -> list[str]:
    """No 5xx, no traceback in any log, no process that died by itself (kills aside)."""
    problems = list(r.ledger.server_errors)
    for name, log in r.logs.items():
        if "Traceback" in log:
            problems.append(f"{name} log has a traceback")
    died = sum(len(v) for v in r.exits.values()) - r.kills
    if died > 0:
        problems.append(f"processes exited by themselves: {r.exits} ({r.kills} kills)")
    return problems


def health(r: DayResult) -> list[str]:
    """No crash, every customer answered, and the day went as its record expected."""
    problems = crashes(r)
    problems += [f"person {p} got no reply to {t!r}" for p, t in r.ledger.no_reply]
    problems += r.ledger.notes
    problems += [f"customer {c} is none of the day's people" for c in r.audit.unknown_customers]
    return problems


def _same(a: object, b: object) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) < 1e-4
    return a == b


ALL = {
    "stored": stored,
    "delivered": delivered,
    "email_replies": email_replies,
    "no_duplicates": no_duplicates,
    "in_order": in_order,
    "retry_after": retry_after,
    "privacy": privacy,
    "pulses": pulses,
    "summary": summary,
    "resolution_log": resolution_log,
    "compensations": compensations,
    "health": health,
}


def run_all(r: DayResult) -> dict[str, list[str]]:
    return {name: check(r) for name, check in ALL.items()}
