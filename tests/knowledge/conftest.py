"""Fixtures for the knowledge tests: fixture KB files and a fake OpenAI-compatible embeddings
server (a real HTTP server on 127.0.0.1 that returns deterministic vectors and records calls).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import SecretStr

from core.config import Settings

KB_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "kb"
BROKEN = KB_DIR / "broken"
GOOD_FILES = sorted(KB_DIR.glob("faq.*"))


def _token_vector(token: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dim)


def fake_vector(text: str, dim: int = 64) -> np.ndarray:
    """A deterministic bag-of-words vector: texts sharing words are similar."""
    tokens = re.findall(r"\w+", text.lower()) or [text]
    vec = sum((_token_vector(t, dim) for t in tokens), np.zeros(dim)).astype(np.float32)
    return vec / np.linalg.norm(vec)


class FakeEmbeddingsServer:
    """Speaks POST /v1/embeddings. ``fail_after`` = number of further requests to serve."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail_after: int | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = server.respond(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def respond(
        self, path: str, headers: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append({"path": path, "headers": headers, "body": body})
            if self.fail_after is not None:
                if self.fail_after <= 0:
                    return 500, {"error": {"message": "fake outage", "type": "server_error"}}
                self.fail_after -= 1
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = []
        for i, text in enumerate(inputs):
            vec = fake_vector(str(text))
            emb: Any = vec.tolist()
            if body.get("encoding_format") == "base64":
                emb = base64.b64encode(vec.astype("<f4").tobytes()).decode()
            data.append({"object": "embedding", "index": i, "embedding": emb})
        return 200, {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": 0, "total_tokens": 0},
        }

    def texts(self) -> list[str]:
        return [t for c in self.calls for t in c["body"]["input"]]

    def __enter__(self) -> FakeEmbeddingsServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def fake_embeddings() -> Iterator[FakeEmbeddingsServer]:
    with FakeEmbeddingsServer() as server:
        yield server


@pytest.fixture
def openai_settings(settings: Settings, fake_embeddings: FakeEmbeddingsServer) -> Settings:
    return settings.model_copy(
        update={
            "embeddings": "openai",
            "embeddings_base_url": fake_embeddings.base_url,
            "embeddings_model": "fake-embed-1",
            "embeddings_api_key": SecretStr("sk-test-key"),
        }
    )


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path
