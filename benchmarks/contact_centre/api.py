"""HTTP clients of the day: operators and the supervisor on the API, Telegram on the webhook.
Every status code is counted in the ledger; a 5xx is kept with its request. While the API
restarts, a request that could not connect is tried again (nothing was sent); the operators'
requests can be held (:meth:`Api.hold`) so that a kill -9 of the API drops only Telegram's
webhook posts, which Telegram sends again with the same update id."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from benchmarks.contact_centre.ledger import Ledger
from benchmarks.contact_centre.processes import SECRET


class Api:
    def __init__(self, base_url: str, ledger: Ledger) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=60,
            # idle connections are dropped well before uvicorn closes them (5 s), so that no
            # request goes out on a connection the server is closing
            limits=httpx.Limits(
                max_connections=32, max_keepalive_connections=32, keepalive_expiry=2.0
            ),
        )
        self.ledger = ledger
        self._open = asyncio.Event()
        self._open.set()
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        """Hold new operator requests and wait for those in flight (a request the API dies
        under has an unknown outcome: a person would look before doing it again, which the
        simulation cannot); Telegram's webhook posts go on."""
        self._open.clear()
        try:
            await self._idle.wait()
            yield
        finally:
            self._open.set()

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["authorization"] = f"Bearer {token}"
        webhook = path.startswith("/telegram/")
        if not webhook:
            await self._open.wait()
            self._in_flight += 1
            self._idle.clear()
        try:
            response = await self._send(method, path, headers, webhook, **kw)
        finally:
            if not webhook:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.set()
        self.ledger.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.ledger.server_errors.append(
                f"{method} {path} -> {response.status_code}: {response.text[:300]}"
            )
        return response

    async def _send(
        self, method: str, path: str, headers: dict[str, str], webhook: bool, **kw: Any
    ) -> httpx.Response:
        """The answer; while the API restarts (for up to RESTART_S), a refused connection is
        tried again (nothing was sent), and so is a webhook post the API died under (Telegram
        sends it again, same update id)."""
        deadline = time.monotonic() + RESTART_S
        while True:
            try:
                return await self.client.request(method, path, headers=headers, **kw)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if time.monotonic() > deadline or not (webhook or _unsent(exc)):
                    raise
                await asyncio.sleep(0.5)

    async def ok(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        """The JSON of a 2xx answer; anything else raises with the answer."""
        response = await self.call(method, path, token, **kw)
        if response.status_code // 100 != 2:
            raise ApiError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    async def wait_healthy(self, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while True:
            try:
                if (await self.client.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("the API did not answer /health in time")
            await asyncio.sleep(0.5)


class ApiError(RuntimeError):
    pass


RESTART_S = 180.0
"""How long a client waits for the API to come back (a restart loads the encoders)."""


def _unsent(exc: httpx.TransportError) -> bool:
    """The request never reached the API: it is safe to send it again."""
    return isinstance(exc, httpx.ConnectError)


class Telegram:
    """Builds updates as Telegram sends them and posts them to the webhook with the secret."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._update_ids = itertools.count(1_000_000)
        self._message_ids = itertools.count(1)

    async def post(self, update: dict[str, Any]) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        for _ in range(60):  # Telegram retries an update until the webhook says 200
            response = await self.api.call(
                "POST", "/telegram/webhook", json=update, headers=headers
            )
            if response.status_code == 200:
                self.api.ledger.webhook_posts += 1
                return
            await asyncio.sleep(0.5)
        raise ApiError(f"webhook refused update {update['update_id']}: {response.status_code}")

    def user(self, chat_id: int, first: str, last: str, language: str) -> dict[str, Any]:
        return {
            "id": chat_id,
            "is_bot": False,
            "first_name": first,
            "last_name": last,
            "language_code": language,
        }

    def message(self, user: dict[str, Any], text: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
                "from": user,
                "text": text,
            },
        }

    def callback(self, user: dict[str, Any], data: str, message_id: int) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cbq-{next(self._message_ids)}",
                "from": user,
                "chat_instance": str(user["id"]),
                "data": data,
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "from": {"id": 4242, "is_bot": True, "first_name": "CX"},
                    "chat": {"id": user["id"], "type": "private"},
                    "text": "...",
                },
            },
        }
