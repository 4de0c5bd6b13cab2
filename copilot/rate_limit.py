"""Requests per API token (``CXC_RATE_LIMIT_API``): over the limit, 429 with ``Retry-After`` in
the one error shape, before the body is read. The count is keyed by the token's hash (never
the token) and kept where the runtime's limiter keeps it (Redis, or this process). Requests
without a bearer token are not counted here; ``per_address`` counts an open operation
(``/v1/ask``) per client address (``CXC_RATE_LIMIT_ASK``). The web chat counts per visitor in
its use case (``core.conversation.webchat``)."""

from __future__ import annotations

import hashlib
import math

from fastapi import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import RateLimited
from core.ports import RateLimiter


class RateLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = _limiter(scope) if scope["type"] == "http" else None
        token = _bearer(scope) if limiter is not None else None
        if limiter is None or token is None:
            await self.app(scope, receive, send)
            return
        wait = await limiter.hit(hashlib.sha256(token.encode()).hexdigest())
        if wait is None:
            await self.app(scope, receive, send)
            return
        seconds = math.ceil(wait)
        response = JSONResponse(
            {
                "detail": f"too many requests with this token; retry in {seconds} s",
                "error": "RateLimited",
            },
            status_code=429,
            headers={"Retry-After": str(seconds)},
        )
        await response(scope, receive, send)


def _limiter(scope: Scope) -> RateLimiter | None:
    runtime = getattr(scope["app"].state, "runtime", None) if "app" in scope else None
    return runtime.api_limiter if runtime is not None else None


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


async def per_address(request: Request) -> None:
    """A dependency of the operations anyone may call (``POST /v1/ask``, a new web chat
    session): count the request against ``CXC_RATE_LIMIT_ASK`` by its client address (the
    proxy's, unless uvicorn trusts its forwarded headers); RateLimited over it."""
    runtime = getattr(request.app.state, "runtime", None)
    limiter: RateLimiter | None = runtime.ask_limiter if runtime is not None else None
    if limiter is None:
        return
    address = request.client.host if request.client is not None else "unknown"
    wait = await limiter.hit(address)
    if wait is not None:
        seconds = math.ceil(wait)
        raise RateLimited(
            f"too many requests from this address; retry in {seconds} s", retry_after_s=seconds
        )
