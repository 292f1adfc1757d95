"""Tail latency: requests get a pooled PostgreSQL connection in the order they asked for
one. asyncpg hands a released connection to whichever request asks next, so under load a
request that waited could be overtaken again and again: the slowest 1 % of reads then
waited ten times the median (bench/README.md, Tail latency)."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import os
from typing import Any

import pytest

from rendezvous.core.db.engines import Postgres, is_sqlite

pytestmark = pytest.mark.skipif(
    is_sqlite(), reason="SQLite reads need no pool: they run on the worker's own connection"
)

_ticket: contextvars.ContextVar[int] = contextvars.ContextVar("ticket")


class RecordingPool:
    """The engine's pool, noting whose turn it was each time it hands a connection out."""

    def __init__(self, pool: Any, granted: list[int]) -> None:
        self._pool, self._granted = pool, granted

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        pool_acquire, granted = self._pool.acquire(*args, **kwargs), self._granted

        class Granting:
            async def __aenter__(self) -> Any:
                connection = await pool_acquire.__aenter__()
                granted.append(_ticket.get())
                return connection

            async def __aexit__(self, *exc: object) -> Any:
                return await pool_acquire.__aexit__(*exc)

        return Granting()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


async def test_pooled_connections_are_handed_out_first_come_first_served() -> None:
    engine = Postgres(os.environ["RENDEZVOUS_DATABASE_URL"])
    await engine.open(pool_size=3)
    # every connection open before counting, as in a worker that has been serving
    await asyncio.gather(*(engine.fetch("SELECT pg_sleep(0.01)", ()) for _ in range(3)))
    granted: list[int] = []
    engine.pool = RecordingPool(engine.pool, granted)
    tickets = itertools.count()

    async def client() -> None:  # like a load generator's connection: ask again at once
        for _ in range(30):
            _ticket.set(next(tickets))
            await engine.fetch("SELECT 1", ())

    try:
        await asyncio.gather(*(client() for _ in range(16)))
    finally:
        await engine.close()
    # Without the engine's turns, some request was overtaken by 70 to 220 later ones.
    overtaken = [sum(1 for later in granted[:i] if later > k) for i, k in enumerate(granted)]
    assert len(granted) == 16 * 30 and max(overtaken) == 0
