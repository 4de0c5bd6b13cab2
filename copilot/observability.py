"""What every HTTP response carries and what operations can watch.

* **Request ids:** each request gets one (a sane incoming ``X-Request-ID`` is kept, otherwise
  a new one), echoed in the response and written on every log line of the request
  (``request_id``: the context variable of ``runtime.logs``).
* **Security headers:** ``nosniff``, no framing, no referrer, and on HTML pages (the console) a
  content security policy that allows only the server's own scripts.
* **Prometheus metrics** (``GET /metrics``): requests and their duration by route template
  (never the raw path, which may hold an id), plus the database gauges of
  ``core.platform.gauges``. With ``CXC_METRICS_TOKEN`` set, the scrape needs it as a bearer
  token. Each app has its own registry, so several apps in one process never collide.

A pure ASGI middleware: bodies pass through untouched.
"""

from __future__ import annotations

import re
import time
import uuid

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime.logs import request_id

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
PAGE_POLICY = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class HttpMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "cxc_http_requests",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.seconds = Histogram(
            "cxc_http_request_seconds",
            "HTTP request duration in seconds, by method and route template",
            ("method", "route"),
            registry=self.registry,
        )


class Observability:
    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), *_headers(message, rid)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id.reset(token)
            route = _route(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.seconds.labels(method, route).observe(time.perf_counter() - started)


def _headers(message: Message, rid: str) -> list[tuple[bytes, bytes]]:
    present = {k.lower() for k, _ in message.get("headers", [])}
    out = [(b"x-request-id", rid.encode())]
    out += [(k, v) for k, v in SECURITY_HEADERS if k not in present]
    content_type = dict(message.get("headers", [])).get(b"content-type", b"")
    if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
        out.append((b"content-security-policy", PAGE_POLICY))
    return out


def _route(scope: Scope) -> str:
    """The matched route's template (``/v1/cases/{case_id}``); unmatched paths share one label."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
