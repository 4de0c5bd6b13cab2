"""One call to the optional language model: what it was for, how it went and what it cost in
tokens (the API's ``usage`` field). Never the text."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, utcnow


class LlmCall(SQLModel, table=True):
    __tablename__ = "llm_call"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    model: str = Field(max_length=200)
    purpose: str = Field(max_length=32)
    """``answer``, ``draft``, ``summary``, ``rerank``."""
    outcome: str = Field(max_length=64)
    """``ok``, ``circuit_open`` or the error's type (``RateLimitError``, ``APITimeoutError``)."""
    ms: int = 0
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    """None when the server reported no usage (a failed call, a server without it)."""
    attempts: int = 1
