"""One HTTP client for the CRM connectors: bearer token (or a secret URL), JSON, and the retries
every CRM needs.

429 waits for ``Retry-After`` (seconds) or backs off; 5xx, timeouts and connection errors back
off exponentially; after ``attempts`` tries the request fails with ``BackendUnavailable``. 401
and 403 are a refused or expired token: ``ConfigError`` naming the setting, never retried. A
body that is not JSON is a ``BackendUnavailable`` naming the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from core.errors import BackendUnavailable, ConfigError

Sleep = Callable[[float], Awaitable[None]]


class CrmHttp:
    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        token: str | None,
        token_setting: str,
        timeout_s: float = 30.0,
        attempts: int = 5,
        backoff_s: float = 1.0,
        max_wait_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.name = name
        self.token_setting = token_setting
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.sleep = sleep
        headers = {"Accept": "application/json"}
        if token is not None:  # None: the secret is in the URL (a Bitrix24 webhook)
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout_s,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """The JSON body of a successful answer (None for 204 No Content)."""
        reason = ""
        for attempt in range(self.attempts):
            try:
                response = await self.client.request(method, path, params=params, json=json)
            except httpx.TimeoutException:
                reason, wait = "timed out", self._backoff(attempt)
            except httpx.TransportError as exc:
                reason, wait = f"{type(exc).__name__}: {exc}", self._backoff(attempt)
            else:
                if response.status_code < 400:
                    return self._body(method, path, response)
                reason, wait = self._refused(method, path, response, attempt)
            if attempt + 1 < self.attempts:
                await self.sleep(min(wait, self.max_wait_s))
        raise BackendUnavailable(
            f"{self.name}: {method} {path} failed {self.attempts} times (last: {reason})"
        )

    def _refused(
        self, method: str, path: str, response: httpx.Response, attempt: int
    ) -> tuple[str, float]:
        """Why a 4xx/5xx failed and how long to wait; raises for answers not worth retrying."""
        status = response.status_code
        if status in (401, 403):
            raise ConfigError(
                f"{self.name} refused the token ({status}) on {method} {path}: "
                f"check or renew {self.token_setting}"
            )
        if status == 429:
            return "429 Too Many Requests", _retry_after(response) or self._backoff(attempt)
        if status >= 500:
            return f"{status} {response.reason_phrase}", self._backoff(attempt)
        raise BackendUnavailable(
            f"{self.name} answered {status} to {method} {path}: {response.text[:300]}"
        )

    def _body(self, method: str, path: str, response: httpx.Response) -> Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise BackendUnavailable(
                f"{self.name}: {method} {path} answered {response.status_code} with a body "
                f"that is not JSON: {response.text[:120]!r}"
            ) from None

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff_s * 2**attempt)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None
