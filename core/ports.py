"""The Protocols at the core's boundaries. One per boundary, named for its job.

Concrete implementations live outside the core (``knowledge``, ``crm_adapters``, ``bot``) and are
handed to services by the start-up code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from core.domain import Answer, FaqEntry, IngestReport, PhrasingCheck


@runtime_checkable
class Retriever(Protocol):
    """Answers questions from the knowledge base and learns approved phrasings."""

    async def ask(
        self, text: str, *, customer_ref: str | None = None, language: str | None = None
    ) -> Answer: ...

    async def check_phrasing(self, entry_id: str, text: str) -> PhrasingCheck:
        """What adding ``text`` to ``entry_id`` would change, found on a copy: nothing is
        written. ``add_phrasing`` of the same text right after applies what was checked."""
        ...

    async def add_phrasing(self, entry_id: str, text: str) -> None: ...

    async def add_entry(self, entry: FaqEntry) -> None:
        """Index a brand-new entry (its id must not exist yet) so it answers at once."""
        ...

    def entry(self, entry_id: str) -> FaqEntry | None: ...

    def entries(self) -> list[FaqEntry]:
        """Every entry served now (empty: the knowledge base answers nothing)."""
        ...

    async def ingest(
        self,
        entries: Sequence[FaqEntry],
        *,
        learned: Mapping[str, Sequence[str]] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Make the index hold exactly ``entries``; the learned phrasings of kept entries stay,
        or are exactly ``learned`` (texts by entry id) when given."""
        ...

    async def reload(self) -> None:
        """Serve what another process saved: the knowledge version moved."""
        ...


@runtime_checkable
class Assistant(Protocol):
    """An optional language model behind any OpenAI-compatible endpoint. ``complete`` raises
    ``core.errors.AssistantUnavailable`` when it cannot answer (timeout, errors, open circuit).
    Text handed to it has had personal data replaced (``core.redaction``)."""

    model: str

    async def complete(self, system: str, prompt: str, *, max_tokens: int = 400) -> str: ...


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """One item of a customer's history in a CRM (an order, a past ticket, a deal)."""

    kind: str
    external_id: str
    occurred_at: datetime | None
    title: str
    data: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class CrmConnector(Protocol):
    """Reads a customer's orders and history from a CRM; filters by that customer only."""

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """The result of sending one message to a customer."""

    ok: bool
    external_id: str | None = None
    error: str | None = None
    queued: bool = False
    """Not sent yet, but not lost: the channel's queue retries it (``ok`` is False)."""


@runtime_checkable
class OutboundChannel(Protocol):
    """Delivers a message to a customer on one channel."""

    channel: str

    async def send(
        self, external_id: str, text: str, *, buttons: Sequence[tuple[str, str]] = ()
    ) -> Delivery: ...
