"""Request ids, security headers, CORS closed by default, and the Prometheus exposition."""

from __future__ import annotations

import io
import logging
from typing import Any

import httpx
from factories import make_case
from fastapi import FastAPI
from pydantic import SecretStr

from copilot.main import create_app
from core.config import Settings
from runtime.logs import OneLineFormatter, request_id
from tests.copilot.conftest import Users


async def test_every_response_has_a_request_id_and_security_headers(
    client: httpx.AsyncClient,
) -> None:
    first = await client.get("/health")
    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["x-frame-options"] == "DENY"
    assert first.headers["referrer-policy"] == "no-referrer"
    assert "content-security-policy" not in first.headers  # JSON, not a page
    kept = await client.get("/health", headers={"x-request-id": "lb-4f2a9c11"})
    assert kept.headers["x-request-id"] == "lb-4f2a9c11"
    odd = await client.get("/health", headers={"x-request-id": "<script>"})
    assert odd.headers["x-request-id"] != "<script>"
    page = await client.get("/console/knowledge")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


async def test_cors_is_closed_unless_origins_are_named(
    client: httpx.AsyncClient, app_settings: Settings, kb: Any
) -> None:
    origin = {"origin": "https://evil.example"}
    assert (
        "access-control-allow-origin" not in (await client.get("/health", headers=origin)).headers
    )
    opened = app_settings.model_copy(update={"cors_origins": ["https://shop.example"]})
    app = create_app(opened, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            allowed = await c.get("/health", headers={"origin": "https://shop.example"})
            other = await c.get("/health", headers=origin)
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in other.headers


async def test_metrics_count_routes_by_template_and_the_database_gauges(
    client: httpx.AsyncClient, users: Users, db_session: Any
) -> None:
    case = await make_case(db_session)
    await client.get(f"/v1/cases/{case.id}", headers=users.operator)
    await client.get("/v1/cases/987654", headers=users.operator)
    await client.get("/no/such/page")
    text = (await client.get("/metrics")).text
    assert (
        'cxc_http_requests_total{method="GET",route="/v1/cases/{case_id}",status="200"} 1.0' in text
    )
    assert (
        'cxc_http_requests_total{method="GET",route="/v1/cases/{case_id}",status="404"} 1.0' in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "987654" not in text  # never the raw path
    assert 'cxc_cases{owner="bot",status="open"} 1.0' in text


async def test_metrics_need_the_token_when_one_is_set(app_settings: Settings, kb: Any) -> None:
    guarded = app_settings.model_copy(update={"metrics_token": SecretStr("s3cret-scrape-token")})
    app: FastAPI = create_app(guarded, retriever=kb)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            refused = await c.get("/metrics")
            wrong = await c.get("/metrics", headers={"authorization": "Bearer nope"})
            scraped = await c.get(
                "/metrics", headers={"authorization": "Bearer s3cret-scrape-token"}
            )
    assert (refused.status_code, wrong.status_code, scraped.status_code) == (401, 401, 200)
    assert "cxc_http_requests_total" in scraped.text


def test_a_log_line_written_during_a_request_carries_its_id() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(OneLineFormatter(as_json=False, tracebacks=False))
    log = logging.getLogger("tests.observability")
    log.addHandler(handler)
    try:
        token = request_id.set("req-0001abcd")
        log.warning("inside")
        request_id.reset(token)
        log.warning("outside")
    finally:
        log.removeHandler(handler)
    inside, outside = out.getvalue().splitlines()
    assert inside.endswith("inside request_id=req-0001abcd")
    assert "request_id" not in outside
