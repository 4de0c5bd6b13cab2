"""Application factory. Resources are opened in the lifespan, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from copilot.errors import install_error_handlers
from copilot.routes import ask, health
from core import db
from core.config import Settings
from core.ports import Retriever


def create_app(settings: Settings, *, retriever: Retriever | None = None) -> FastAPI:
    """Build the API. Pass ``retriever`` to share an already-open knowledge base."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        url = settings.resolved_database_url
        if settings.auto_migrate:
            await asyncio.to_thread(db.upgrade, url)
        engine = db.create_engine(url)
        app.state.settings = settings
        app.state.session_factory = db.session_factory(engine)
        owned = None
        if retriever is None:
            from knowledge import build_knowledge

            owned = await asyncio.to_thread(build_knowledge, settings)
        app.state.retriever = retriever or owned
        try:
            yield
        finally:
            if owned is not None:
                owned.close()
            await engine.dispose()

    app = FastAPI(
        title="CX Copilot",
        version="0.1.0",
        description="Support-agent copilot and self-service bot backend.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(ask.router)
    return app
