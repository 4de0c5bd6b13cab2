"""What a running process holds: settings, the database sessions, the knowledge base, the
outbound channels, the CRM connector and the index of resolved cases. Opened once at start-up
by the composition root (``runtime.open_runtime``) and handed to the API, the bot, the worker
and the command line; nothing here is built at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.desk.case_index import CaseIndex, build_case_index
from core.ports import Assistant, CrmConnector, OutboundChannel, RateLimiter, Retriever


@dataclass(slots=True)
class Runtime:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    retriever: Retriever | None = None
    outbound: Mapping[str, OutboundChannel] = field(default_factory=dict)
    crm: CrmConnector | None = None
    assistant: Assistant | None = None
    """The optional language model (``CXC_LLM_BASE_URL``); None: answers are extractive."""
    api_limiter: RateLimiter | None = None
    """Requests per API token (``CXC_RATE_LIMIT_API``); None: unlimited."""
    chat_limiter: RateLimiter | None = None
    """Messages per Telegram chat (``CXC_RATE_LIMIT_CHAT``); None: unlimited."""
    _case_index: CaseIndex | None = None
    _case_index_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def case_index(self, session: AsyncSession) -> CaseIndex:
        """The index of resolved cases: built on first use, then refreshed by its users."""
        if self._case_index is None:
            async with self._case_index_lock:
                if self._case_index is None:
                    self._case_index = await build_case_index(session)
        return self._case_index
