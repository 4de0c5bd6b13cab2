"""Typed errors raised by the core. Each front end translates them (HTTP status, bot reply)."""

from __future__ import annotations


class CxcError(Exception):
    """Base class of every error the core raises on purpose."""


class NotFound(CxcError):
    """A referenced object does not exist (HTTP 404)."""

    def __init__(self, kind: str, ref: object) -> None:
        super().__init__(f"{kind} {ref!r} not found")
        self.kind = kind
        self.ref = ref


class CaseNotFound(NotFound):
    def __init__(self, case_id: object) -> None:
        super().__init__("case", case_id)


class CustomerNotFound(NotFound):
    def __init__(self, customer_id: object) -> None:
        super().__init__("customer", customer_id)


class EntryNotFound(NotFound):
    def __init__(self, entry_id: object) -> None:
        super().__init__("knowledge entry", entry_id)


class InvalidTransition(CxcError):
    """A state change that conflicts with the object's current state (HTTP 409)."""


class ChannelUndeliverable(InvalidTransition):
    """A reply on a channel nothing can deliver yet (HTTP 409): refused, not queued forever."""

    def __init__(self, case_id: object, channel: str, deliverable: list[str]) -> None:
        super().__init__(
            f"case {case_id}: replies on {channel!r} cannot be delivered yet (only on "
            f"{', '.join(deliverable)}); record what you told the customer as an interaction"
        )
        self.channel = channel


class IdentityTaken(InvalidTransition):
    """An identity given for one customer belongs to another (HTTP 409): not merged."""

    def __init__(self, channel: str, holder_id: int) -> None:
        super().__init__(f"that {channel} belongs to customer {holder_id}; nothing was merged")
        self.channel = channel
        self.holder_id = holder_id


class SyncRunning(InvalidTransition):
    """A sync of the same source is already running (HTTP 409, CLI exit 1)."""

    def __init__(self, source: str, until: object) -> None:
        super().__init__(f"a sync of {source} is running (its lease ends at {until})")
        self.source = source


class AnswersWouldChange(InvalidTransition):
    """Adding a phrasing would change what the knowledge base answers (HTTP 409); the message
    names the phrasings that would be answered otherwise."""


class NotAllowed(CxcError):
    """The actor may not do this (HTTP 403)."""


class InvalidInput(CxcError):
    """Input that cannot be processed (HTTP 422, CLI exit code 2)."""


class PersonalData(InvalidInput):
    """Text bound for the knowledge base holds personal data (HTTP 422); it names the kinds."""


class SourceError(InvalidInput):
    """A knowledge source file is malformed. Names the file and, when known, the row or line."""

    def __init__(self, path: str, message: str, *, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.detail = message


class ConfigError(CxcError):
    """A setting is missing or invalid. The message names the environment variable."""


class BackendUnavailable(CxcError):
    """An external service we depend on (vector store, embeddings endpoint, LLM) failed."""


class AssistantUnavailable(BackendUnavailable):
    """The language model failed, timed out or is resting after repeated failures (its
    circuit is open): the extractive answer is used instead."""


class RateLimited(CxcError):
    """Over a rate limit: the request was refused, not handled; it may be sent again after
    ``retry_after_s`` seconds. The message is what the sender is told (for a customer, in their
    language)."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StorageFull(CxcError):
    """A write failed for want of disk space (HTTP 507, CLI exit 1, a polite bot reply). The
    write was not made (its transaction rolled back, a new index state not swapped in); what
    was written before is intact. ``where`` names the full directory."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"no space left in {where}: nothing was written; free some space there and try again"
        )
        self.where = where
