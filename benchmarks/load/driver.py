"""An open-loop load driver: requests leave at a constant arrival rate whatever the server does
(a slow answer never delays the next request), bounded in time and in count.

A request's latency runs from the moment it was *due*, not from when it left: when the client
itself falls behind, that delay is counted too (no coordinated omission), and reported on its
own as ``client_lag_ms_max`` so a busy load generator shows.

The client is aiohttp's (aiogram's own HTTP stack): the load generator shares the machine with
the server, and httpx spends several times its CPU per request (at 200 requests/s httpx alone
fell a second behind on 2 cores); ``client_cpu_ms_per_request`` reports what it took.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json as jsonlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np


@dataclass(frozen=True)
class Answer:
    """A response, read whole: its status and body."""

    status_code: int
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    def raise_for_status(self) -> None:
        if not self.is_success:
            raise RuntimeError(f"HTTP {self.status_code}: {self.body[:300]!r}")


class Client:
    """Keep-alive connections to one server, with room for every request in flight."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def request(
        self, method: str, path: str, *, json: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        async with self._session.request(method, path, json=json, headers=headers) as response:
            return Answer(response.status, await response.read())

    async def post(self, path: str, **kw: Any) -> Answer:
        return await self.request("POST", path, **kw)

    async def get(self, path: str, **kw: Any) -> Answer:
        return await self.request("GET", path, **kw)


Send = Callable[[Client, int], Awaitable[Answer]]
"""Sends request number ``i`` with the client; the driver judges its response."""
ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


@dataclass
class LoadResult:
    """What one constant-rate run got: rates, latency percentiles and errors."""

    offered_rate: float
    seconds: float
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_lag_ms_max: float = 0.0
    elapsed_s: float = 0.0
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def achieved_rate(self) -> float:
        """Answers a second, over the time the requests were due in (or longer, to the last
        answer): a short run's few quick answers are not a high rate."""
        window = max(self.elapsed_s, self.sent / self.offered_rate)
        return len(self.latencies_ms) / window if window else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def keeps_up(self, p99_ms: float) -> bool:
        """No error, at least 95% of the offered rate answered and p99 within ``p99_ms``."""
        return (
            self.error_count == 0
            and self.achieved_rate >= 0.95 * self.offered_rate
            and self.percentile(99) <= p99_ms
        )

    def report(self) -> dict[str, Any]:
        return {
            "offered_rate": round(self.offered_rate, 1),
            "achieved_rate": round(self.achieved_rate, 1),
            "seconds": self.seconds,
            "requests": self.sent,
            "ok": len(self.latencies_ms),
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            **{f"p{q}_ms": round(self.percentile(q), 1) for q in (50, 95, 99)},
            "max_ms": round(max(self.latencies_ms, default=float("nan")), 1),
            "client_lag_ms_max": round(self.client_lag_ms_max, 1),
            **self._cpu(),
        }

    def _cpu(self) -> dict[str, float]:
        """CPU time per answered request (the server's, the load generator's), and how many
        cores the server kept busy."""
        if self.server_cpu_s is None or not self.latencies_ms:
            return {}
        answered = len(self.latencies_ms)
        return {
            "server_cpu_ms_per_request": round(self.server_cpu_s * 1e3 / answered, 2),
            "server_cores_busy": round(self.server_cpu_s / self.elapsed_s, 2),
            "client_cpu_ms_per_request": round(self.client_cpu_s * 1e3 / answered, 2),
        }


@contextlib.asynccontextmanager
async def client(base_url: str, *, timeout_s: float = 10.0) -> AsyncIterator[Client]:
    """A keep-alive client with room for every request in flight (open loop: no pool wait)."""
    async with aiohttp.ClientSession(
        base_url=base_url,
        connector=aiohttp.TCPConnector(limit=0),
        timeout=aiohttp.ClientTimeout(total=timeout_s),
    ) as session:
        yield Client(session)


async def open_loop(
    http: Client,
    send: Send,
    *,
    rate: float,
    seconds: float,
    max_requests: int | None = None,
    cpu: Callable[[], float] | None = None,
) -> LoadResult:
    """Send ``rate`` requests a second for ``seconds`` (at most ``max_requests``); wait for all.
    ``cpu``: the server's CPU seconds so far, read before and after."""
    count = max(1, int(rate * seconds))
    if max_requests is not None:
        count = min(count, max_requests)
    result = LoadResult(offered_rate=rate, seconds=seconds, sent=count)
    cpu_before = cpu() if cpu else 0.0
    client_before = time.process_time()
    gc.collect()
    gc.disable()  # a full collection in the client stalled its loop (a lag of 160 ms at 200/s)
    start = time.perf_counter()

    async def one(i: int, due: float) -> None:
        result.client_lag_ms_max = max(result.client_lag_ms_max, (time.perf_counter() - due) * 1e3)
        try:
            response = await send(http, i)
        except ERRORS as exc:
            result.errors[type(exc).__name__] += 1
            return
        if response.is_success:
            result.latencies_ms.append((time.perf_counter() - due) * 1e3)
        else:
            result.errors[f"HTTP {response.status_code}"] += 1

    tasks = []
    try:
        for i in range(count):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, due)))
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
    result.elapsed_s = time.perf_counter() - start
    result.client_cpu_s = time.process_time() - client_before
    if cpu is not None:
        result.server_cpu_s = cpu() - cpu_before
    return result
