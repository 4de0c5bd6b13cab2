"""FastAPI dependencies: everything comes from ``app.state``, filled in by the lifespan.

They are ``async``: FastAPI runs a plain ``def`` dependency on its thread pool, a thread hop
per dependency per request for what is one attribute read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from core.config import Settings
from core.ports import Assistant, RateLimiter, Retriever


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_retriever(request: Request) -> Retriever:
    retriever: Retriever = request.app.state.retriever
    return retriever


async def get_assistant(request: Request) -> Assistant | None:
    """The language model answers are composed with, if one is configured."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.assistant if runtime is not None else None


async def get_webchat_limiter(request: Request) -> RateLimiter | None:
    """Messages per web chat visitor (``CXC_RATE_LIMIT_WEBCHAT``), if limited."""
    runtime = getattr(request.app.state, "runtime", None)
    return runtime.webchat_limiter if runtime is not None else None


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.session_factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
AssistantDep = Annotated[Assistant | None, Depends(get_assistant)]
WebchatLimiterDep = Annotated[RateLimiter | None, Depends(get_webchat_limiter)]
