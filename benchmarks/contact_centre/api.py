"""HTTP clients of the day: operators and the supervisor on the API, Telegram on the webhook.
Every status code is counted in the ledger; a 5xx is kept with its request."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import httpx

from benchmarks.contact_centre.ledger import Ledger
from benchmarks.contact_centre.processes import SECRET


class Api:
    def __init__(self, base_url: str, ledger: Ledger) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=60,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        )
        self.ledger = ledger

    async def close(self) -> None:
        await self.client.aclose()

    async def call(
        self, method: str, path: str, token: str | None = None, **kw: Any
    ) -> httpx.Response:
        headers = kw.pop("headers", {})
        if token:
            headers["authorization"] = f"Bearer {token}"
        for attempt in itertools.count():
            try:
                response = await self.client.request(method, path, headers=headers, **kw)
                break
            except httpx.TransportError:  # the API restarting: try again, as a console would
                if attempt >= 20:
                    raise
                await asyncio.sleep(0.5)
        self.ledger.statuses[response.status_code] += 1
        if response.status_code >= 500:
            self.ledger.server_errors.append(
                f"{method} {path} -> {response.status_code}: {response.text[:300]}"
            )
        return response

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
