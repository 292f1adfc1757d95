"""Rate limits: how many writes, geocoding lookups and sign-ups one caller may make.

The caller is the account whose token was checked; every other request (a sign-up, a
token that matches nobody) is counted for its client address, whatever headers it
carries, so a made-up token buys no fresh allowance. The count is taken once the token is
known (`count`, from the authentication entry point) or, for public routes, by the
`rate_limited` guard. Which limit applies: the route's `opt={RATE_LIMIT: "signups"}` (or
"geocoding"), else "writes" for POST, PUT, PATCH and DELETE; reads are not limited.

Each limit is a fixed window (a minute; an hour for sign-ups) counted in the worker's
memory, whose expired windows are swept away, or in Redis (RENDEZVOUS_REDIS_URL), shared
by every worker, where one INCR per request cannot let two workers both take the last
slot. While Redis is unreachable nothing is counted: a guard against abuse is not worth
refusing every request for.

Litestar's RateLimitMiddleware runs before authentication, so it could only key on the
raw header; it also counts with a separate read and write and never prunes its memory
store. Hence this module.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.middleware.rate_limit import get_remote_address
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rendezvous.core.errors import RateLimited
from rendezvous.core.request_log import RESPONSE_HEADERS
from rendezvous.settings import Settings, get_settings

log = logging.getLogger(__name__)

RATE_LIMIT = "rate_limit"  # a route's opt naming the limit it counts against
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SWEEP_EVERY_S = 60.0
_WARN_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    allowed: int  # per window; 0 turns the limit off
    window_s: int

    @property
    def per(self) -> str:
        return "an hour" if self.window_s == 3600 else "a minute"


@dataclass(frozen=True, slots=True)
class Count:
    limit: Limit
    used: int
    resets_in_s: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The RateLimit-* response headers (IETF draft) saying where the caller stands."""
        remaining = max(0, self.limit.allowed - self.used)
        return [
            (b"ratelimit-policy", f"{self.limit.allowed}; w={self.limit.window_s}".encode()),
            (b"ratelimit-limit", str(self.limit.allowed).encode()),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(self.resets_in_s).encode()),
        ]


class MemoryCounter:
    """Counts in this worker's memory; windows that have ended are swept away once a
    minute, so the store holds only callers seen within the longest window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: dict[str, list[float]] = {}  # key -> [window end, count]
        self._sweep_at = 0.0
        self.clock = clock

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        """Count one request; how many the window holds now, and seconds until it ends."""
        now = self.clock()
        if now >= self._sweep_at:
            self._windows = {k: w for k, w in self._windows.items() if w[0] > now}
            self._sweep_at = now + _SWEEP_EVERY_S
        window = self._windows.get(key)
        if window is None or window[0] <= now:
            window = self._windows[key] = [now + window_s, 0]
        window[1] += 1
        return int(window[1]), max(1, math.ceil(window[0] - now))

    def __len__(self) -> int:
        return len(self._windows)

    async def close(self) -> None:
        self._windows.clear()


class RedisCounter:
    """Counts in Redis, shared by every worker: one key per caller and window, which
    Redis drops when the window ends."""

    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._last_warning = 0.0

    async def hit(self, key: str, window_s: int) -> tuple[int, int]:
        now = int(time.time())
        window = now // window_s
        name = f"rendezvous:rate:{key}:{window}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s)
                used, _ = await pipe.execute()
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return 0, window_s
        return int(used), (window + 1) * window_s - now

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > _WARN_EVERY_S:
            self._last_warning = now
            log.warning("rate limits are off while Redis is unreachable: %s", exc)

    async def close(self) -> None:
        await self._redis.aclose()


class Limits:
    """The configured limits and where their counts are kept (one per worker)."""

    def __init__(self, settings: Settings) -> None:
        self._limits = {
            limit.name: limit
            for limit in (
                Limit("writes", settings.rate_limit_writes, 60),
                Limit("geocoding", settings.rate_limit_geocoding, 60),
                Limit("signups", settings.rate_limit_signups, 3600),
                # Fresh verification links, per account: each one is a mail to an
                # address nobody has confirmed yet.
                Limit("verification", 5, 3600),
            )
            if limit.allowed
        }
        self.counter = RedisCounter(settings.redis_url) if settings.redis_url else MemoryCounter()

    def limit_for(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Limit | None:
        handler = connection.scope.get("route_handler")
        named = handler.opt.get(RATE_LIMIT) if handler is not None else None
        if named is None and connection.scope.get("method") in WRITE_METHODS:
            named = "writes"
        return self._limits.get(named) if named else None

    async def count(
        self, connection: ASGIConnection[Any, Any, Any, Any], account_id: int | None
    ) -> None:
        """Count the request against its limit for the account, or the client address
        when there is none; RateLimited once the window is full."""
        limit = self.limit_for(connection)
        if limit is None:
            return
        who = f"account:{account_id}" if account_id is not None else _address(connection)
        used, resets_in_s = await self.counter.hit(f"{limit.name}:{who}", limit.window_s)
        count = Count(limit, used, resets_in_s)
        connection.scope.setdefault("state", {})[RESPONSE_HEADERS] = count.headers()
        if used > limit.allowed:
            raise RateLimited(
                f"Too many requests: at most {limit.allowed} {limit.per}; retry in {resets_in_s} s",
                retry_after_s=resets_in_s,
            )


def _address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    # Behind a proxy, let uvicorn set the client from its headers (--forwarded-allow-ips).
    return f"address:{get_remote_address(connection)}"  # type: ignore[arg-type]


async def rate_limited(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for public routes (no token to count): counts the client address."""
    limits: Limits = connection.app.state.limits
    await limits.count(connection, None)


@asynccontextmanager
async def rate_limits(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: this worker's limits, and their Redis connections closed at the end."""
    app.state.limits = Limits(get_settings())
    try:
        yield
    finally:
        await app.state.limits.counter.close()
