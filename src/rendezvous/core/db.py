"""The database layer: engines from settings, write transactions, health, migrations.

Two engines behave differently where it matters:
- SQLite allows one writer at a time. Write transactions start with BEGIN IMMEDIATE
  (a read-then-write in a DEFERRED transaction can fail with "database is locked"
  without waiting), and inside one process they queue on an asyncio lock so that the
  busy timeout only arbitrates between processes. WAL lets readers run meanwhile.
- PostgreSQL runs through Piccolo's asyncpg pool; read-then-write rules first lock the
  row they decide on with an UPDATE that bumps its revision (events, groups), which
  every other writer of the row waits for.
Both retry transient failures (busy, serialization failure, deadlock) a few times and
then answer 503 rather than 500.

Written-out SQL runs through `fetch`, straight on the driver's connection: building a
query with Piccolo costs more than the database takes to answer it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import io
import logging
import os
import random
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import aiosqlite
import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

from rendezvous.core.errors import Unavailable
from rendezvous.settings import Settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
# A row by column name: a dict from sqlite3, an asyncpg Record (which reads the same).
Row = Mapping[str, Any]

MAX_WRITE_ATTEMPTS = 5
# Any 64-bit key will do; it only has to be the same in every process.
MIGRATION_LOCK_KEY = 0x52_44_56_5A_4D_49_47  # "RDVZMIG"
CONNECT_TIMEOUT_S = 5.0
# A WAL reader waits for nobody except a rare recovery; past this it takes the slow path.
READER_BUSY_TIMEOUT_S = 0.05


def _timestamptz(text: bytes) -> datetime:
    moment = datetime.fromisoformat(text.decode())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# sqlite3 turns values into Python by the column's declared type, with converters that
# Piccolo registers process-wide. These do what Piccolo's do for the values Piccolo
# stores (integers, 0/1, UTC timestamps written by str()), in a third of the time:
# reading a page of rows spent most of its time in int(Decimal(text)).
sqlite3.register_converter("INTEGER", int)
sqlite3.register_converter("BOOLEAN", lambda text: text == b"1")
sqlite3.register_converter("TIMESTAMPTZ", _timestamptz)


class RendezvousSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with a busy timeout, an in-process writer queue and a
    read-only connection per thread for reads outside transactions."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        # sqlite3's `timeout` installs the busy handler on every connection Piccolo opens.
        super().__init__(path=path, timeout=busy_timeout_ms / 1000)
        self._write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._readers: dict[int, sqlite3.Connection] = {}
        self._turn_fd: int | None = None
        self._writers: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, aiosqlite.Connection
        ] = weakref.WeakKeyDictionary()

    def read_now(self, sql: str, args: tuple[Any, ...]) -> list[Row]:
        """Run a read synchronously on this thread's read-only connection.

        Piccolo opens a connection, and aiosqlite a thread, for every query outside a
        transaction: about a millisecond, where a read of a few rows takes tens of
        microseconds. In WAL mode a reader does not wait for writers, so running it on
        the event loop blocks nothing for longer than the read itself.
        """
        reader = self._readers.get(threading.get_ident())
        if reader is None:
            reader = sqlite3.connect(
                **{**self.connection_kwargs, "timeout": READER_BUSY_TIMEOUT_S},
                check_same_thread=False,  # only so that `close_readers` may close it
            )
            reader.execute("PRAGMA query_only = 1")
            self._readers[threading.get_ident()] = reader
        cursor = reader.execute(sql, args)
        try:
            values = cursor.fetchall()
        finally:
            cursor.close()  # ends the read transaction, so checkpoints can pass it
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in values]

    def close_readers(self) -> None:
        while self._readers:
            _, reader = self._readers.popitem()
            reader.close()

    async def open_writer(self) -> None:
        """Keep one connection for this event loop's write transactions until
        `close_writer`: the writer queue lets one transaction at a time use it, and
        opening a connection (a thread, the file, a PRAGMA) costs more than a small
        transaction. Only a served app opens one; elsewhere each transaction opens its own."""
        loop = asyncio.get_running_loop()
        if loop not in self._writers:
            self._writers[loop] = await self.get_connection()  # Piccolo's: dict rows, FKs on

    async def close_writer(self) -> None:
        connection = self._writers.pop(asyncio.get_running_loop(), None)
        if connection is not None:
            await connection.close()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """This process's turn to write, among the worker processes sharing the file.

        SQLite's busy handler polls in sleeps of up to 100 ms, so a process whose writers
        follow each other back to back kept the write lock and starved the others (a p99
        of seconds with two workers). Waiting in flock() instead, in a thread, lets the
        kernel wake a waiting process as soon as the turn is free; every turn is taken
        that way, so that a process finishing one does not always win the next. The turn
        only decides who goes next: BEGIN IMMEDIATE still takes SQLite's own write lock,
        which is what keeps writes safe.
        """
        if self._turn_fd is None:
            self._turn_fd = os.open(f"{self.path}.write-turn", os.O_RDWR | os.O_CREAT, 0o600)
        fd = self._turn_fd
        waited = _TurnWait()
        try:
            await asyncio.wait_for(
                asyncio.to_thread(waited.take, fd), self.connection_kwargs["timeout"]
            )
        except BaseException as exc:  # timed out or cancelled while waiting
            if not waited.abandon():
                fcntl.flock(fd, fcntl.LOCK_UN)
            if isinstance(exc, TimeoutError):
                raise sqlite3.OperationalError("database is locked") from None
            raise
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def write_transaction(self) -> SQLiteTransaction:
        """A BEGIN IMMEDIATE transaction, on the kept connection when there is one."""
        connection = self._writers.get(asyncio.get_running_loop())
        if connection is None:
            return self.transaction(transaction_type=TransactionType.immediate)
        return _KeptConnectionTransaction(self, connection)

    def write_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._write_locks.get(loop)
        if lock is None:
            lock = self._write_locks[loop] = asyncio.Lock()
        return lock


class _TurnWait:
    """A flock() waited for in a thread, which its waiter may give up on: a turn granted
    after that is handed straight back."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._state = "waiting"

    def take(self, fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with self._guard:
            if self._state == "abandoned":
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                self._state = "taken"

    def abandon(self) -> bool:
        """Stop waiting. False if the turn was taken already: the caller must hand it back."""
        with self._guard:
            if self._state == "taken":
                return False
            self._state = "abandoned"
            return True


class _KeptConnectionTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction on a connection that outlives it."""

    def __init__(self, engine: RendezvousSQLiteEngine, connection: aiosqlite.Connection) -> None:
        super().__init__(engine, transaction_type=TransactionType.immediate)
        self._kept = connection

    async def get_connection(self) -> aiosqlite.Connection:
        return self._kept

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self.rollback()
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            # The connection's state is unknown now: the next transaction opens another.
            engine = self.engine
            assert isinstance(engine, RendezvousSQLiteEngine)
            await engine.close_writer()
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
        return exception is None


def create_engine(settings: Settings) -> Engine:
    db = settings.database
    if db.is_sqlite:
        assert db.sqlite_path is not None
        return RendezvousSQLiteEngine(str(db.sqlite_path), settings.sqlite_busy_timeout_ms)
    return PostgresEngine(
        config={"dsn": db.url, "timeout": CONNECT_TIMEOUT_S, "command_timeout": 30},
        extensions=(),  # nothing here needs uuid-ossp, which wants a superuser
    )


@functools.cache  # Piccolo's finder re-imports the configuration module on every call
def get_engine() -> Engine:
    engine = engine_finder()
    if engine is None:  # pragma: no cover - PICCOLO_CONF is set on import
        raise RuntimeError("Piccolo found no engine; is PICCOLO_CONF importable?")
    return engine


def is_sqlite(engine: Engine | None = None) -> bool:
    return isinstance(engine or get_engine(), SQLiteEngine)


# --- errors --------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Failures that the same transaction may not meet if it simply runs again."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        return "locked" in text or "busy" in text
    return isinstance(exc, asyncpg.SerializationError | asyncpg.DeadlockDetectedError)


def is_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached at all (down, restarting, network cut)."""
    return isinstance(
        exc,
        OSError
        | asyncio.TimeoutError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError,
    ) or (isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc).lower())


# --- transactions --------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _write_transaction(engine: Engine) -> AsyncIterator[None]:
    if isinstance(engine, RendezvousSQLiteEngine):
        async with engine.write_lock(), engine.turn(), engine.write_transaction():
            yield
    else:
        async with engine.transaction():
            yield


def transactional(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a service function in one write transaction, retried on transient failures.

    A call made inside a running transaction joins it, so transactional services
    may call each other.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        engine = get_engine()
        if engine.current_transaction.get() is not None:
            return await fn(*args, **kwargs)
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            try:
                async with _write_transaction(engine):
                    return await fn(*args, **kwargs)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                log.warning(
                    "transient database failure, attempt %d of %d: %s",
                    attempt,
                    MAX_WRITE_ATTEMPTS,
                    exc,
                )
                if attempt < MAX_WRITE_ATTEMPTS:
                    await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311
        raise Unavailable("The database is busy; please retry in a moment.")

    return wrapper


# --- written-out statements ----------------------------------------------------------


@functools.cache
def _placeholders(sql: str, engine_type: str) -> str:
    """`sql` with its `{}` placeholders (as in Piccolo's raw queries) written the way
    the engine's driver takes them: $1, $2, ... for asyncpg, ? for sqlite3."""
    parts = sql.split("{}")
    if engine_type != "postgres":
        return "?".join(parts)
    numbered = [part + f"${i}" for i, part in enumerate(parts[:-1], 1)]
    return "".join(numbered) + parts[-1]


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


async def fetch(sql: str, *args: Any) -> list[Row]:
    """The rows of one written-out statement (`{}` placeholders for `args`), run in the
    current transaction when there is one."""
    engine = get_engine()
    transaction = engine.current_transaction.get()
    if isinstance(engine, PostgresEngine):
        statement = _placeholders(sql, "postgres")
        if transaction is not None:
            records = await transaction.connection.fetch(statement, *args)
        elif engine.pool is not None:
            async with engine.pool.acquire() as connection:
                records = await connection.fetch(statement, *args)
        else:  # outside a served app (CLI, migrations): Piccolo opens a connection
            return await engine.run_querystring(QueryString(sql, *args))
        return records
    statement = _placeholders(sql, "sqlite")
    if transaction is not None:
        # Piccolo would also repeat "PRAGMA foreign_keys = 1" before every statement.
        async with transaction.connection.execute(statement, args) as cursor:
            return await cursor.fetchall()
    if isinstance(engine, RendezvousSQLiteEngine) and _is_read(sql):
        try:
            return engine.read_now(statement, args)
        except sqlite3.OperationalError as exc:
            if not is_transient(exc):
                raise
    return await engine.run_querystring(QueryString(sql, *args))


# --- lifecycle -----------------------------------------------------------------------

DEFAULT_POOL_SIZE = 10  # more than this per worker does not help one event loop


def pool_size_for(workers: int, usable_connections: int) -> int:
    """Connections per worker when the pool size is not set: at most DEFAULT_POOL_SIZE,
    and all the workers together take at most half of what the server allows, leaving
    the rest to other hosts, tools and the migration lock."""
    return max(1, min(DEFAULT_POOL_SIZE, usable_connections // (2 * workers)))


async def usable_connections(engine: Engine) -> int | None:
    """How many connections the PostgreSQL server accepts from ordinary roles; None on
    SQLite."""
    if not isinstance(engine, PostgresEngine):
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


async def _keep_session(connection: asyncpg.Connection) -> None:
    """asyncpg's default reset costs a round trip (RESET ALL, UNLISTEN *, ...) every time
    a connection goes back to the pool, and Piccolo takes one per query. Nothing here
    changes session state, so none is needed; asyncpg still rolls back any open
    transaction before calling this."""


async def open_pool(engine: Engine, size: int) -> None:
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=size, reset=_keep_session)
    elif isinstance(engine, RendezvousSQLiteEngine):
        await engine.open_writer()


async def close_pool(engine: Engine) -> None:
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, RendezvousSQLiteEngine):
        await engine.close_writer()
        engine.close_readers()


async def ping(engine: Engine, within_s: float = 2.0) -> bool:
    """True when the database answers a trivial query within `within_s` seconds."""
    try:
        await asyncio.wait_for(
            engine.run_querystring(QueryString("SELECT 1"), in_pool=True), within_s
        )
    except Exception as exc:  # any failure means "not available" to a health check
        log.warning("database ping failed: %r", exc)
        return False
    return True


# --- migrations ----------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _migration_lock(engine: Engine) -> AsyncIterator[None]:
    """Only one process applies migrations at a time; the others wait, then find
    nothing left to do. A PostgreSQL advisory lock, or a file lock beside SQLite's file."""
    if isinstance(engine, PostgresEngine):
        connection = await asyncpg.connect(**engine.config)
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            yield
        finally:
            await connection.close()  # ends the session, which releases the lock
    elif isinstance(engine, SQLiteEngine):
        with open(f"{engine.path}.migrate-lock", "w") as handle:  # noqa: ASYNC230 - instant
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


async def migrate(engine: Engine | None = None) -> list[str]:
    """Apply pending migrations of every app; returns "app id" for each one applied."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    engine = engine or get_engine()
    if isinstance(engine, SQLiteEngine):
        # WAL is a property of the file: set once, every later connection uses it.
        await engine.run_ddl("PRAGMA journal_mode=WAL")
    async with _migration_lock(engine):
        if not await Migration.table_exists().run():
            await Migration.create_table().run()
        columns = (Migration.app_name, Migration.name)
        before = {(row["app_name"], row["name"]) for row in await Migration.select(*columns).run()}
        output = io.StringIO()
        with contextlib.redirect_stdout(output):  # Piccolo narrates with print()
            result = await run_forwards(app_name="all")
        if not result.success:
            raise RuntimeError(f"migrations failed: {result.message}\n{output.getvalue()}")
        after = {(row["app_name"], row["name"]) for row in await Migration.select(*columns).run()}
    return [f"{app} {name}" for app, name in sorted(after - before)]
