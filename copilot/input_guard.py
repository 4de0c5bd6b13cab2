"""What every request must be before a route sees it: a body no larger than
``CXC_MAX_BODY_BYTES`` (413), and JSON and query values that every database stores (422): no
``NaN``, ``Infinity`` or a number too large for a float (``1e400``), no lone surrogate, no NUL
character (PostgreSQL refuses it in text).

A pure ASGI middleware: the body is read once, checked, and handed on unchanged.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BadInput(ValueError):
    pass


class InputGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            check_query(scope.get("query_string", b""), scope.get("path", ""))
        except BadInput as exc:
            await _refuse(scope, receive, send, 422, str(exc), "query")
            return
        body = await self._read(receive)
        if body is None:
            limit = self.max_body_bytes
            await _refuse(scope, receive, send, 413, f"the request body is over {limit} bytes")
            return
        try:
            check_body(body, _content_type(scope))
        except BadInput as exc:
            await _refuse(scope, receive, send, 422, str(exc), "body")
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it is over the limit."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def check_query(query: bytes, path: str) -> None:
    if "\x00" in path:
        raise BadInput("the path holds a NUL character")
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            raise BadInput(f"query parameter {name!r} holds a NUL character")


def check_body(body: bytes, content_type: str) -> None:
    if not body:
        return
    if "json" in content_type:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("the body is not UTF-8") from None
        try:
            value = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
        except BadInput:
            raise
        except ValueError as exc:  # JSONDecodeError, and an integer of over 4,300 digits
            raise BadInput(f"the body is not valid JSON: {exc}") from None
        _check_strings(value)
    elif "form" in content_type and (b"\x00" in body or b"%00" in body):
        raise BadInput("a form field holds a NUL character")


def _no_constant(name: str) -> Any:
    raise BadInput(f"{name} is not a number JSON allows")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadInput(f"{text} is too large for a number")
    return value


def _check_strings(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict):
            for key, inner in item.items():
                _check_text(key)
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadInput("a text holds a NUL character")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("a text holds a lone surrogate (not a character)") from None


def _content_type(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return str(value.decode("latin-1").lower())
    return ""


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, message: str, where: str = "body"
) -> None:
    """FastAPI's validation-error shape for 422; the one error shape for 413."""
    content: dict[str, Any] = {"detail": message, "error": "PayloadTooLarge"}
    if status == 422:
        detail = [{"type": "value_error", "loc": [where], "msg": message, "input": None}]
        content = {"detail": detail, "error": "ValidationError"}
    await JSONResponse(content, status_code=status)(scope, receive, send)
