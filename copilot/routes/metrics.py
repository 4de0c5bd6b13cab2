"""``GET /metrics``: the Prometheus exposition (copilot.observability). Open on a private
network by default; with ``CXC_METRICS_TOKEN`` set, only a scrape that sends it as a bearer
token gets the figures."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from copilot.auth import bearer_token
from copilot.deps import SessionDep
from core.platform.gauges import Gauges, gauges

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response, responses={401: {"description": "no token"}})
async def metrics(request: Request, session: SessionDep) -> Response:
    """Requests by route and status, their durations, cases, waiting updates and deliveries."""
    wanted = request.app.state.settings.metrics_token
    if wanted is not None:
        given = bearer_token(request) or ""
        if not hmac.compare_digest(given.encode(), wanted.get_secret_value().encode()):
            return Response(status_code=401, headers={"www-authenticate": "Bearer"})
    body = generate_latest(request.app.state.http_metrics.registry)
    body += generate_latest(_gauges(await gauges(session)))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _gauges(figures: Gauges) -> CollectorRegistry:
    registry = CollectorRegistry()
    cases = Gauge("cxc_cases", "Cases by status and owner", ("status", "owner"), registry=registry)
    for (status, owner), n in figures.cases.items():
        cases.labels(status, owner).set(n)
    updates = Gauge("cxc_inbound_updates", "Updates not done", ("status",), registry=registry)
    for status, n in figures.updates.items():
        updates.labels(status).set(n)
    deliveries = Gauge(
        "cxc_deliveries", "Replies not sent, by channel", ("channel", "status"), registry=registry
    )
    for (channel, status), n in figures.deliveries.items():
        deliveries.labels(channel, status).set(n)
    return registry
