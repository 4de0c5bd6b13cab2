"""The simulation's own record of the day: what every customer wrote, what the bot and the
operators did as the simulation saw it, and the supervisor figures that follow from it
(computed here, never read back from the product)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from benchmarks.contact_centre.population import Person


@dataclass
class CaseRecord:
    person: int
    kind: str  # telegram | phone | email | recovery
    case_id: int | None = None
    escalated: bool = False
    resolved_by: str | None = None  # "bot" or an operator's name
    csat: int | None = None  # the answer to this resolution's pulse
    ces: int | None = None

    @property
    def pulse_goes_out(self) -> bool:
        """The worker sends pulses on Telegram (recovery cases are on the pulse's channel)."""
        return self.resolved_by is not None and self.kind in ("telegram", "recovery")


@dataclass
class Offer:
    person: int
    case_id: int
    operator: str
    limit: float
    expected_value: float
    value: float
    requires_approval: bool
    final_status: str


@dataclass
class Ledger:
    people: list[Person]
    cases: list[CaseRecord] = field(default_factory=list)
    wrote: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    suggestions: list[tuple[int, int, str]] = field(default_factory=list)  # person, case, text
    accepted: int = 0
    offers: list[Offer] = field(default_factory=list)
    email_replies: list[tuple[int, int, int, int | None]] = field(default_factory=list)
    """(person, case id, HTTP status, message id) of operator replies on e-mail cases."""
    codes: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    """Promo codes issued to each person (their personal data too)."""
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    bot_latency_s: list[float] = field(default_factory=list)
    no_reply: list[tuple[int, str]] = field(default_factory=list)  # person, what they wrote
    webhook_posts: int = 0
    notes: list[str] = field(default_factory=list)

    def open_case(self, person: int, kind: str, **kw: object) -> CaseRecord:
        record = CaseRecord(person=person, kind=kind, **kw)  # type: ignore[arg-type]
        self.cases.append(record)
        return record

    def case_of(self, person: int, kind: str) -> CaseRecord | None:
        found = [c for c in self.cases if c.person == person and c.kind == kind]
        return found[-1] if found else None

    def personal_data(self, person: int) -> tuple[str, ...]:
        return (*self.people[person].personal_data, *self.codes[person])

    def expected_summary(self) -> dict[str, float | int | None]:
        """The supervisor summary's figures as this day's record has them."""
        resolved = [c for c in self.cases if c.resolved_by is not None]
        pulses = [c for c in self.cases if c.pulse_goes_out]
        answered = [c for c in pulses if c.csat is not None or c.ces is not None]
        low = [c for c in answered if (c.csat or 5) <= 2 or (c.ces or 7) <= 3]
        approved = [o for o in self.offers if o.final_status in ("approved", "issued")]
        csat = [c.csat for c in answered if c.csat is not None]
        return {
            "cases_opened": len(self.cases),
            "escalations": sum(c.escalated for c in self.cases),
            "cases_resolved": len(resolved),
            "bot_contained": sum(c.resolved_by == "bot" and not c.escalated for c in resolved),
            "pulses_sent": len(pulses),
            "pulses_answered": len(answered),
            "recovery_cases": len(low),
            "csat_avg": round(statistics.fmean(csat), 6) if csat else None,
            "compensation_total": round(sum(o.expected_value for o in approved), 2),
            "suggestions_shown": len({(p, c) for p, c, _ in self.suggestions}),
            "promises_overdue": 0,
        }

    def figures(self) -> dict[str, object]:
        lat = sorted(self.bot_latency_s)
        return {
            "customers": len(self.people),
            "customer_messages": sum(len(v) for v in self.wrote.values()),
            "webhook_posts": self.webhook_posts,
            "api_calls": sum(self.statuses.values()),
            "bot_reply_p50_s": round(statistics.median(lat), 3) if lat else None,
            "bot_reply_p90_s": round(lat[int(0.9 * (len(lat) - 1))], 3) if lat else None,
            "compensations": len(self.offers),
            **self.expected_summary(),
        }
