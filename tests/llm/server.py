"""A loopback OpenAI-compatible server: POST /v1/chat/completions on 127.0.0.1, plain or
streamed (server-sent events), scripted to fail the ways real servers do.

The real ``openai`` client talks to it over HTTP; this is the only fake, at the process
boundary. Each request takes the next scripted ``Step`` (the last one repeats); every request
body is kept in ``requests`` so a test can read exactly what left the process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Step:
    """One scripted response: ``ok`` (the content, streamed when the client asks), ``429``
    (with ``retry_after`` seconds), ``500``, ``hang`` (sleeps ``delay_s`` before answering),
    ``malformed`` (a 200 whose body is not JSON)."""

    kind: str = "ok"
    content: str | Reply = ""
    retry_after: float = 0.0
    delay_s: float = 0.0


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a hanging answer closed its socket: expected


class LoopbackLlm:
    def __init__(self) -> None:
        self.steps: list[Step] = [Step("ok", "{}")]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = _Quiet(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *steps: Step) -> None:
        with self._lock:
            self.steps = list(steps)
            self.requests.clear()

    def answer(self, content: str | Reply) -> None:
        """Answer every request with ``content`` (a text, or a function of the request)."""
        self.script(Step("ok", content))

    def sent_text(self) -> str:
        """Everything the clients sent, as one text (the messages' contents)."""
        return "\n".join(
            str(m.get("content", "")) for r in self.requests for m in r.get("messages", [])
        )

    def _next(self, body: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(body)
            return self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def loopback_llm() -> Iterator[LoopbackLlm]:
    server = LoopbackLlm()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _handler(owner: LoopbackLlm) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._send(404, {"error": {"message": "not found"}})
            step = owner._next(body)
            if step.delay_s:
                time.sleep(step.delay_s)
            if step.kind == "429":
                headers = {"Retry-After": f"{step.retry_after:g}"}
                return self._send(429, {"error": {"message": "rate limited"}}, headers)
            if step.kind == "500":
                return self._send(500, {"error": {"message": "server error"}})
            if step.kind == "malformed":
                return self._raw(200, b"{not json", "application/json")
            text = step.content(body) if callable(step.content) else step.content
            if body.get("stream"):
                return self._stream(body, text)
            return self._send(200, _completion(body, text))

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _raw(
            self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, body: dict[str, Any], text: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            pieces = [text[i : i + 7] for i in range(0, len(text), 7)] or [""]
            for piece in pieces:
                chunk = _chunk(body, {"content": piece}, None)
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            last = _chunk(body, {}, "stop") | {"usage": _usage(body, text)}
            self.wfile.write(f"data: {json.dumps(last)}\n\ndata: [DONE]\n\n".encode())
            self.wfile.flush()
            self.close_connection = True

    return Handler


def _usage(body: dict[str, Any], text: str) -> dict[str, int]:
    prompt = sum(len(str(m.get("content", "")).split()) for m in body.get("messages", []))
    completion = len(text.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "loopback"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(body, text),
    }


def _chunk(body: dict[str, Any], delta: dict[str, str], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "loopback"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
