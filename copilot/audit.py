"""Every change an authenticated user asks the API for (POST, PUT, PATCH, DELETE) is written to
the audit trail (``core.platform.audit``) once the response has gone: who (the user the bearer
token resolved to), the route and path, the status and the request id. A refused change (403,
409, 422) is recorded too. A pure ASGI middleware: the routes need not remember it."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.platform.audit import record_action
from runtime.logs import request_id

log = logging.getLogger(__name__)
CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACTOR = "audit_user_id"
"""Where ``copilot.auth.current_user`` leaves the user's id in the request's state."""


class AuditTrail:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES:
            await self.app(scope, receive, send)
            return
        status = 500

        async def keep_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, keep_status)
        finally:
            user_id = scope.get("state", {}).get(ACTOR)
            if user_id is not None:
                await _record(scope, user_id, status)


async def _record(scope: Scope, user_id: int, status: int) -> None:
    route = getattr(scope.get("route"), "path", None) or scope["path"]
    try:
        async with scope["app"].state.session_factory() as session:
            await record_action(
                session,
                user_id=user_id,
                action=f"{scope['method']} {route}",
                path=scope["path"],
                status=status,
                request_id=request_id.get(),
            )
    except Exception as exc:  # the change stands; its trail line is what is lost, said aloud
        log.error("audit trail not written for %s %s: %s", scope["method"], scope["path"], exc)
