"""What every HTTP response carries and what operations can watch.

* **Request ids:** each request gets one (a sane incoming ``X-Request-ID`` is kept, otherwise
  a new one), echoed in the response and written on every log line of the request
  (``request_id``: the context variable of ``runtime.logs``).
* **Security headers:** ``nosniff``, no framing, no referrer, and on HTML pages (the console) a
  content security policy that allows only the server's own scripts. The web chat page
  (``/chat``) is made to be framed by a shop's pages (``chat-widget.js``): framed by the origins
  of ``CXC_CORS_ORIGINS`` when set, by any site otherwise.
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
    b"script-src 'self'; base-uri 'none'; form-action 'self'"
)
EMBEDDABLE = ("/chat",)  # pages other sites may frame


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
    def __init__(
        self, app: ASGIApp, *, metrics: HttpMetrics, embed_origins: list[str] | None = None
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.embed_origins = list(embed_origins or [])

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
                framed = _frame_policy(scope.get("path", ""), self.embed_origins)
                extra = _headers(message, rid, framed)
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            request_id.reset(token)
            route = _route(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.seconds.labels(method, route).observe(time.perf_counter() - started)


def _frame_policy(path: str, origins: list[str]) -> bytes | None:
    """``frame-ancestors`` of a page: none, except for the embeddable pages (None: any site)."""
    if path not in EMBEDDABLE:
        return b"'none'"
    return ("'self' " + " ".join(origins)).encode() if origins else None


def _headers(message: Message, rid: str, framed: bytes | None) -> list[tuple[bytes, bytes]]:
    present = {k.lower() for k, _ in message.get("headers", [])}
    out = [(b"x-request-id", rid.encode())]
    out += [
        (k, v)
        for k, v in SECURITY_HEADERS
        if k not in present and not (k == b"x-frame-options" and framed != b"'none'")
    ]
    content_type = dict(message.get("headers", [])).get(b"content-type", b"")
    if content_type.startswith(b"text/html") and b"content-security-policy" not in present:
        frames = b"" if framed is None else b"; frame-ancestors " + framed
        out.append((b"content-security-policy", PAGE_POLICY + frames))
    return out


def _route(scope: Scope) -> str:
    """The matched route's template (``/v1/cases/{case_id}``); unmatched paths share one label."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
