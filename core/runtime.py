"""What a running process holds: settings, the database sessions, the knowledge base, the
outbound channels, the CRM connector and the case memory (past cases by meaning). Opened once
at start-up by the composition root (``runtime.open_runtime``) and handed to the API, the bot,
the worker and the command line; nothing here is built at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.desk.case_memory import Recollection
from core.ports import (
    Assistant,
    CaseMemory,
    CrmConnector,
    OutboundChannel,
    RateLimiter,
    Retriever,
)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    retriever: Retriever | None = None
    outbound: Mapping[str, OutboundChannel] = field(default_factory=dict)
    crm: CrmConnector | None = None
    assistant: Assistant | None = None
    """The optional language model (``CXC_LLM_BASE_URL``); None: answers are extractive."""
    memory_factory: Callable[[], CaseMemory] | None = None
    """Opens the case memory (``knowledge``); None: no similar cases nor past cases."""
    _recollection: Recollection | None = None
    _recollection_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    api_limiter: RateLimiter | None = None
    """Requests per API token (``CXC_RATE_LIMIT_API``); None: unlimited."""
    chat_limiter: RateLimiter | None = None
    """Messages per Telegram chat (``CXC_RATE_LIMIT_CHAT``); None: unlimited."""
    webchat_limiter: RateLimiter | None = None
    """Messages per web chat visitor (``CXC_RATE_LIMIT_WEBCHAT``); None: unlimited."""
    ask_limiter: RateLimiter | None = None
    """``POST /v1/ask`` per client address (``CXC_RATE_LIMIT_ASK``); None: unlimited."""

    async def recollection(self) -> Recollection | None:
        """The case memory, opened on first use (its models load then, not at start-up)."""
        if self._recollection is None and self.memory_factory is not None:
            async with self._recollection_lock:
                if self._recollection is None:
                    memory = await asyncio.to_thread(self.memory_factory)
                    self._recollection = Recollection(memory)
        return self._recollection
