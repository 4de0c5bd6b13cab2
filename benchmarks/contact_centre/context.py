"""What the customers, the operators and the supervisor of one day share."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from benchmarks.contact_centre.api import Api, Telegram
from benchmarks.contact_centre.botapi import DayBotApi
from benchmarks.contact_centre.ledger import Ledger
from benchmarks.contact_centre.population import Person


@dataclass
class Operator:
    name: str
    token: str
    limit: float


@dataclass
class DayContext:
    api: Api
    tg: Telegram
    botapi: DayBotApi
    ledger: Ledger
    people: list[Person]
    operators: list[Operator]
    supervisor: Operator
    reply_timeout_s: float
    pulse_timeout_s: float
    busy: set[int] = field(default_factory=set)
    """People still writing (an operator leaves their case until they are done)."""
    customers_done: asyncio.Event = field(default_factory=asyncio.Event)
    arrivals: asyncio.Event = field(default_factory=asyncio.Event)
    """Set while customers may arrive (cleared while killed processes restart)."""
    deadline: float = float("inf")
    """time.monotonic() by which the operators stop, whatever is left."""
    _index: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.arrivals.set()
        for p in self.people:
            self._index[("email", p.email)] = p.index
            self._index[("phone", p.phone)] = p.index
            if p.telegram_id is not None:
                self._index[("telegram", str(p.telegram_id))] = p.index

    def person_of(self, identities: list[dict[str, str]]) -> int | None:
        """The generated person behind a customer's identities (Telegram id, e-mail, phone)."""
        for ident in identities:
            found = self._index.get((ident["channel"], ident["external_id"]))
            if found is not None:
                return found
        return None
