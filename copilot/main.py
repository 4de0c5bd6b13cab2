"""Application factory. Resources are opened in the lifespan (``runtime.open_runtime``), never
at import."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from copilot import console
from copilot.audit import AuditTrail
from copilot.console import knowledge as knowledge_console
from copilot.console import reports as reports_console
from copilot.contract import install_contract
from copilot.errors import install_error_handlers
from copilot.input_guard import InputGuard
from copilot.observability import HttpMetrics, Observability
from copilot.rate_limit import RateLimit
from copilot.routes import (
    ask,
    audit,
    cases,
    compensations,
    customers,
    deliveries,
    health,
    incidents,
    interactions,
    metrics,
    promises,
    pulses,
    reasons,
    reports,
    retention,
    telegram,
    users,
    webchat,
)
from copilot.routes import knowledge as knowledge_routes
from core.config import Settings, load_settings
from core.ports import CrmConnector, OutboundChannel, Retriever
from runtime import open_runtime


def create_app(
    settings: Settings,
    *,
    retriever: Retriever | None = None,
    outbound: Mapping[str, OutboundChannel] | None = None,
    crm: CrmConnector | None = None,
    serving: bool = False,
) -> FastAPI:
    """Build the API. Pass ``retriever`` to share an already-open knowledge base.

    ``outbound`` maps a channel to its sender for operator replies; without one, replies are
    queued as pending deliveries for the bot worker. ``crm`` adds CRM orders and history.
    ``serving``: a server process loads its models before the first request and freezes what
    its start-up built (``runtime.open_runtime``).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(
            settings,
            retriever=retriever,
            outbound=outbound,
            crm=crm,
            follow_cases=True,
            serving=serving,
        ) as rt:
            app.state.runtime = rt
            app.state.settings = settings
            app.state.session_factory = rt.sessions
            app.state.outbound = rt.outbound
            app.state.crm = rt.crm
            app.state.retriever = rt.retriever
            yield

    app = FastAPI(
        title="CX Copilot",
        version="0.1.0",
        description="Support-agent copilot and self-service bot backend.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_contract(app)
    app.add_middleware(InputGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(AuditTrail)
    app.add_middleware(RateLimit)  # before the body is read
    app.state.http_metrics = HttpMetrics()
    app.add_middleware(  # outermost: sees every request
        Observability, metrics=app.state.http_metrics, embed_origins=settings.cors_origins
    )
    if settings.cors_origins:  # closed unless origins are named
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-request-id"],
        )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(ask.router)
    app.include_router(telegram.router)
    for router in (
        cases,
        customers,
        interactions,
        compensations,
        promises,
        incidents,
        users,
        knowledge_routes,
        deliveries,
        reasons,
        audit,
        retention,
    ):
        app.include_router(router.router)
    console.install(app)
    for extra in (reports, pulses, reports_console, knowledge_console, webchat):
        app.include_router(extra.router)
    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory for ``cxc serve --workers N``: each worker process reads the settings
    from the environment (``CXC_*``, ``.env``) and sets up its own one-line logging."""
    from runtime.logs import configure_logging

    settings = load_settings()
    configure_logging(settings)
    return create_app(settings, serving=True)
