"""The Protocols at the core's boundaries. One per boundary, named for its job.

Concrete implementations live outside the core (``knowledge``, ``crm_adapters``, ``bot``) and are
handed to services by the start-up code.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from core.domain import Answer, FaqEntry, IngestReport, PhrasingCheck, StoreStatus


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

    async def store_status(self) -> StoreStatus:
        """Ask the vector store whether it answers (a heartbeat); never raises."""
        ...


class RateLimiter(Protocol):
    """Counts requests per key (an API token's hash, a chat) in a moving window."""

    async def hit(self, key: str) -> float | None:
        """Count one request: None when it is within the limit, else the seconds until the
        window has room again. A limiter whose store is unreachable lets requests through."""
        ...


@runtime_checkable
class Assistant(Protocol):
    """An optional language model behind any OpenAI-compatible endpoint. ``complete`` raises
    ``core.errors.AssistantUnavailable`` when it cannot answer (timeout, errors, open circuit).
    Text handed to it has had personal data replaced (``core.redaction``)."""

    model: str

    async def complete(
        self, system: str, prompt: str, *, max_tokens: int = 400, purpose: str = "answer"
    ) -> str:
        """The model's reply; ``purpose`` (``answer``, ``draft``, ``summary``, ``rerank``) is
        what the call is recorded under (``LlmCallSink``)."""
        ...


@dataclass(frozen=True, slots=True)
class LlmCallRecord:
    """One call to the language model as the client saw it: never its text."""

    model: str
    purpose: str
    outcome: str
    """``ok``, ``circuit_open`` or the error's type."""
    ms: int
    prompt_tokens: int | None
    completion_tokens: int | None
    """From the API's ``usage`` field; None when the server reported none."""
    attempts: int
    at: datetime


class LlmCallSink(Protocol):
    """Where the language model's client reports each call (``core.reports.llm_usage``): it
    must return at once, the answer waits for nothing."""

    def record(self, call: LlmCallRecord) -> None: ...


@dataclass(frozen=True, slots=True)
class CrmRecord:
    """One item of a customer's history in a CRM (an order, a past case)."""

    kind: str
    external_id: str
    occurred_at: datetime | None
    title: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CustomerData:
    """One customer as a source states them. Phones may be in any format (national ones are
    read in the configured default region), e-mails in any case."""

    external_id: str
    name: str | None = None
    language: str | None = None
    tier: str | None = None
    lifetime_value: float | None = None
    marketing_consent: bool | None = None
    opted_out: bool | None = None
    preferences: dict[str, Any] = field(default_factory=dict)
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    telegram_ids: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderData:
    """One order; ``customer_ref`` is the source's id of its customer. ``items`` are
    ``{"sku", "name", "quantity", "price"}``; ``total`` unset is the items' sum."""

    external_id: str
    customer_ref: str
    number: str
    status: str = ""
    items: tuple[dict[str, Any], ...] = ()
    total: float | None = None
    currency: str | None = None
    placed_at: datetime | None = None
    promised_at: datetime | None = None
    delivered_at: datetime | None = None
    delivery_region: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseData:
    """One past case of a customer in the CRM; ``messages`` are ``{"at", "author", "text"}``."""

    external_id: str
    customer_ref: str
    subject: str = ""
    status: str = ""
    outcome: str | None = None
    messages: tuple[dict[str, Any], ...] = ()
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CrmPage:
    """One page of what changed in a source since a cursor. ``cursor`` is where the next pull
    resumes once this page is stored (opaque to the core). ``errors`` name the records that
    could not be read: the page's good records are stored, its cursor is not."""

    customers: list[CustomerData] = field(default_factory=list)
    orders: list[OrderData] = field(default_factory=list)
    cases: list[CaseData] = field(default_factory=list)
    cursor: str | None = None
    errors: list[str] = field(default_factory=list)
    total: int | None = None
    """How many records the whole pull holds, when the source says (for a progress bar)."""

    def __len__(self) -> int:
        return len(self.customers) + len(self.orders) + len(self.cases)


@runtime_checkable
class CrmConnector(Protocol):
    """A CRM or an export of one: what changed since a cursor, page by page (the incremental
    sync, ``core.customers.crm_sync``), and one customer's history on request (filtered by that
    customer's identities only). ``source`` names it in the database (``hubspot``, ``files``).

    Customers come before the orders and cases that refer to them. A page whose records cannot
    all be read lists them in ``errors``; a failed request raises ``BackendUnavailable`` (after
    the connector's own retries) or ``ConfigError`` (a refused token).
    """

    source: str

    def pull(self, *, since: str | None) -> AsyncGenerator[CrmPage, None]: ...

    async def customer_history(self, identities: Sequence[tuple[str, str]]) -> list[CrmRecord]: ...


@dataclass(frozen=True, slots=True)
class CaseMemo:
    """A past case as the case memory holds it: the text it is found by (what the customer
    said), whose it is and how it ended. ``key`` is ``case:<id>`` (ours) or ``crm:<id>`` (a
    CRM's); ``version`` changes when the case does (it is embedded again)."""

    key: str
    customer_id: int
    text: str
    version: str
    topic: str | None = None
    code: str | None = None
    """The resolution code; only coded cases of ours are offered as similar cases."""


@dataclass(frozen=True, slots=True)
class CaseRecall:
    """A past case found by meaning: its key, whose it is, and a score in (0, 1]."""

    key: str
    customer_id: int
    score: float
    topic: str | None = None
    code: str | None = None

    @property
    def kind(self) -> str:
        return self.key.split(":", 1)[0]

    @property
    def ref(self) -> int:
        return int(self.key.split(":", 1)[1])


@runtime_checkable
class CaseMemory(Protocol):
    """Past cases, ours and the CRM's, indexed by meaning (``knowledge.store.case_memory``).

    ``similar`` searches every customer's coded cases and returns keys, codes and scores only;
    ``history`` ranks one customer's cases, given by key, and returns none stored as anyone
    else's. Raises ``BackendUnavailable`` when the store cannot be reached.
    """

    async def versions(self, keys: Sequence[str]) -> dict[str, str]:
        """The stored version of each key the memory holds."""
        ...

    async def remember(self, memos: Sequence[CaseMemo]) -> None: ...

    async def marks(self) -> dict[str, datetime]:
        """How far a whole pass has read each source ("case", "crm") into this memory, by any
        process; kept with the memory (one made anew holds none)."""
        ...

    async def keep_marks(self, marks: Mapping[str, datetime]) -> None: ...

    async def similar(self, text: str, *, k: int) -> list[CaseRecall]: ...

    async def history(
        self, text: str, *, customer_id: int, keys: Sequence[str], k: int
    ) -> list[CaseRecall]:
        """The ``k`` of ``keys`` (the customer's own) most like ``text``."""
        ...


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


@runtime_checkable
class QueuedChannel(OutboundChannel, Protocol):
    """A channel whose sender also drains the delivery queue (``core.platform.deliveries``):
    the messages other processes queued and the retries that are due."""

    async def deliver_queued(self, *, limit: int = 20, now: datetime | None = None) -> int:
        """Send what is due; how many deliveries were taken."""
        ...
