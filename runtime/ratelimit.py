"""``core.ports.RateLimiter`` over the ``limits`` library: a moving window per key, counted in
Redis when ``CXC_REDIS_URL`` is set (every replica shares the count), else in this process."""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)


class WindowLimiter:
    def __init__(self, rate: str, *, scope: str, redis_url: str | None = None) -> None:
        self.item: RateLimitItem = parse(rate)
        self.scope = scope
        self.pool: ConnectionPool | None = None
        storage: Storage = MemoryStorage()
        if redis_url:
            self.pool = ConnectionPool.from_url(redis_url)
            storage = RedisStorage(
                f"async+{redis_url}",
                implementation="redispy",
                connection_pool=self.pool,  # type: ignore[arg-type]  # closed by close()
            )
        self.limiter = MovingWindowRateLimiter(storage)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.disconnect()

    async def hit(self, key: str) -> float | None:
        try:
            if await self.limiter.hit(self.item, self.scope, key):
                return None
            stats = await self.limiter.get_window_stats(self.item, self.scope, key)
        except Exception as exc:  # the count's store is down: serve rather than refuse
            log.warning("rate limit %s not counted (%s: %s)", self.scope, type(exc).__name__, exc)
            return None
        return max(1.0, stats.reset_time - time.time())


def build_limiter(rate: str | None, *, scope: str, redis_url: str | None) -> WindowLimiter | None:
    return WindowLimiter(rate, scope=scope, redis_url=redis_url) if rate else None
