"""Piccolo's engine from the settings, opened and closed with each served worker.

The engine is the one process-wide resource: Piccolo's tables find it through
`rendezvous.piccolo_conf.DB`, and so does `get_engine`. A served worker opens it in its
lifespan (PostgreSQL's pool, SQLite's kept connections) and closes it on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString

from rendezvous.core.db.sqlite import SQLite
from rendezvous.settings import Settings

log = logging.getLogger(__name__)

# A row by column name: a dict on SQLite, an asyncpg Record (which reads the same) on
# PostgreSQL.
Row = Mapping[str, Any]

CONNECT_TIMEOUT_S = 5.0
DEFAULT_POOL_SIZE = 10  # more than this per worker does not help one event loop


class Postgres(PostgresEngine):
    """Piccolo's PostgreSQL engine whose pool is entered first come, first served.

    asyncpg hands a released connection to whichever request asks next, so under load a
    request that waited could be overtaken again and again, and the slowest 1 % of reads
    waited many times the median (bench/README.md, "Tail latency"; tests/api/test_tail.py).
    A FIFO semaphore of the pool's size in front of it keeps the order requests came in.
    """

    def __init__(self, dsn: str) -> None:
        super().__init__(
            config={"dsn": dsn, "timeout": CONNECT_TIMEOUT_S, "command_timeout": 30},
            extensions=(),  # nothing here needs uuid-ossp, which wants a superuser
        )
        self._turns: asyncio.Semaphore | None = None

    async def open(self, pool_size: int) -> None:
        await self.start_connection_pool(min_size=1, max_size=pool_size, reset=_keep_session)
        self._turns = asyncio.Semaphore(pool_size)  # asyncio's wakes its waiters in order

    async def close(self) -> None:
        if self.pool is not None:
            await self.close_connection_pool()
        self._turns = None

    def _turn(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._turns if self._turns is not None else contextlib.nullcontext()

    async def run_querystring(self, querystring: QueryString, in_pool: bool = True) -> Any:
        """Piccolo's, taking its turn for a pooled connection outside a transaction."""
        if self.transaction_exists():
            return await super().run_querystring(querystring, in_pool)
        async with self._turn():
            return await super().run_querystring(querystring, in_pool)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Row]:
        """A written-out statement (core.db.sql), run as `run_querystring` runs Piccolo's
        but without parsing its template each time, which cost more than a small read."""
        statement = _numbered(sql)
        transaction = self.current_transaction.get()
        if transaction is not None:
            rows: list[Row] = await transaction.connection.fetch(statement, *args)
            return rows
        if self.pool is None:  # outside a served worker: Piccolo opens a connection
            rows = await super().run_querystring(QueryString(sql, *args))
            return rows
        async with self._turn(), self.pool.acquire() as connection:
            rows = await connection.fetch(statement, *args)
            return rows

    @contextlib.asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[None]:
        """A transaction on a pooled connection, taken in turn."""
        async with self._turn(), self.transaction():
            yield


@functools.lru_cache(maxsize=1024)
def _numbered(sql: str) -> str:
    """A written-out statement's `{}` placeholders as asyncpg takes them: $1, $2, ..."""
    parts = sql.split("{}")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], 1)) + parts[-1]


async def _keep_session(connection: asyncpg.Connection) -> None:
    """asyncpg's default reset costs a round trip (RESET ALL, UNLISTEN *, ...) every time
    a connection goes back to the pool. Nothing here changes session state, so none is
    needed; asyncpg still rolls back any open transaction before calling this."""


Database = SQLite | Postgres


def create_engine(settings: Settings) -> Database:
    db = settings.database
    if db.is_sqlite:
        assert db.sqlite_path is not None
        return SQLite(str(db.sqlite_path), settings.sqlite_busy_timeout_ms)
    return Postgres(db.url)


@functools.cache  # Piccolo's finder imports the configuration module again on every call
def get_engine() -> Database:
    engine = engine_finder()
    if not isinstance(engine, SQLite | Postgres):  # pragma: no cover - PICCOLO_CONF is ours
        raise RuntimeError(f"unexpected database engine {engine!r}; is PICCOLO_CONF set?")
    return engine


def is_sqlite(engine: Database | None = None) -> bool:
    return isinstance(engine or get_engine(), SQLite)


# --- sizing and health -----------------------------------------------------------------


def pool_size_for(workers: int, usable_connections: int) -> int:
    """Connections per worker when the pool size is not set: at most DEFAULT_POOL_SIZE,
    and all the workers together take at most half of what the server allows, leaving
    the rest to other hosts, tools and the migration lock."""
    return max(1, min(DEFAULT_POOL_SIZE, usable_connections // (2 * workers)))


async def usable_connections(engine: Database) -> int | None:
    """How many connections the PostgreSQL server accepts from ordinary roles; None on
    SQLite."""
    if not isinstance(engine, Postgres):
        return None
    connection = await asyncpg.connect(**engine.config)
    try:
        usable: int = await connection.fetchval(
            "SELECT current_setting('max_connections')::int "
            "- current_setting('superuser_reserved_connections')::int"
        )
    finally:
        await connection.close()
    return usable


async def ping(engine: Any, within_s: float = 2.0) -> bool:
    """True when the database answers a trivial query within `within_s` seconds."""
    try:
        await asyncio.wait_for(engine.run_querystring(QueryString("SELECT 1")), within_s)
    except Exception as exc:  # any failure means "not available" to a health check
        log.warning("database ping failed: %r", exc)
        return False
    return True
