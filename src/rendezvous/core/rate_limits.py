"""Rate limits (Litestar's RateLimitMiddleware): writes, and geocoding lookups, per minute
for each API token, or for each client address when a request carries none.

Counts live in memory by default (per worker: with N workers a caller gets up to N times
the limit) and in Redis when RENDEZVOUS_REDIS_URL is set (shared by every worker). If
Redis cannot be reached, requests are let through rather than refused.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from litestar import Litestar, Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.exceptions import RedisError

from rendezvous.core.tokens import hash_secret
from rendezvous.settings import Settings

log = logging.getLogger(__name__)

STORE = "rate_limit"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GEOCODING_ROUTES = frozenset({"/geocode"})
_WARN_EVERY_S = 60.0


def caller(request: Request[Any, Any, Any]) -> str:
    """Who a limit counts: the token (as a hash: keys must not hold secrets), else the
    client's address. Behind a proxy, let uvicorn set that (--forwarded-allow-ips)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return f"token:{hash_secret(token.strip())[:32]}"
    return f"ip:{get_remote_address(request)}"


async def _is_write(request: Request[Any, Any, Any]) -> bool:
    return request.method in WRITE_METHODS


async def _is_geocoding(request: Request[Any, Any, Any]) -> bool:
    return request.scope.get("path_template") in GEOCODING_ROUTES


def _limit(kind: str, per_minute: int, applies: Any) -> DefineMiddleware:
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        # the kind keeps each limit's counts apart in the one store
        identifier_for_request=lambda request: f"{kind}:{caller(request)}",
        check_throttle_handler=applies,
        store=STORE,
    ).middleware


def rate_limit_middleware(settings: Settings) -> list[DefineMiddleware]:
    """The configured limits; a limit of 0 is off."""
    limits = []
    if settings.rate_limit_writes:
        limits.append(_limit("writes", settings.rate_limit_writes, _is_write))
    if settings.rate_limit_geocoding:
        limits.append(_limit("geocoding", settings.rate_limit_geocoding, _is_geocoding))
    return limits


class FailOpenRedisStore(RedisStore):
    """A Redis store that, while Redis is unreachable, counts nothing: rate limits are
    a guard against abuse, not worth refusing every request for."""

    _last_warning = 0.0

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning > _WARN_EVERY_S:
            self._last_warning = now
            log.warning("rate limits are off while Redis is unreachable: %s", exc)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await super().get(key, renew_for)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        try:
            await super().set(key, value, expires_in)
        except (RedisError, OSError) as exc:
            self._warn(exc)


def rate_limit_store(settings: Settings) -> Store:
    if settings.redis_url:
        return FailOpenRedisStore.with_client(settings.redis_url, namespace="rendezvous")
    return MemoryStore()


@asynccontextmanager
async def rate_limit_store_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: close the Redis connections (if any) when the worker stops."""
    try:
        yield
    finally:
        store = app.stores.get(STORE)
        if isinstance(store, RedisStore):
            await store.__aexit__(None, None, None)
