"""SQLite beside Piccolo's engine: what a served worker keeps open, and how writers take turns.

SQLite allows one writer at a time, and Piccolo opens a connection (a thread, the file, a
PRAGMA: about 0.8 ms) for every query outside a transaction and for every transaction.
Between `open` and `close` (a served worker's lifespan) this engine keeps instead:

- a read-only connection for reads outside transactions, run on the event loop: a WAL
  reader waits for no writer, and a read of a few rows takes tens of microseconds;
- one connection for write transactions, which queue for it on an asyncio lock, so that
  SQLite's busy timeout only ever arbitrates between processes;
- a turn between worker processes (`turn`), so that no process starves the others.

Outside a served worker (the command line, migrations) it is Piccolo's engine unchanged.
Values are read by declared type with the converters registered here and by Piccolo (its
connection settings), so every path returns the same types, as dicts.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.querystring import QueryString

# A WAL reader waits for nobody but a rare recovery; past this it takes Piccolo's path.
READER_BUSY_TIMEOUT_S = 0.05


def _timestamptz(text: bytes) -> datetime:
    moment = datetime.fromisoformat(text.decode())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# sqlite3 turns values into Python by each column's declared type, with converters Piccolo
# registers for the whole process. These three read what Piccolo writes (integers, 0 or 1,
# UTC timestamps written by str(), or SQLite's own naive UTC current_timestamp) as Piccolo's
# do, for a fraction of the work: Piccolo's take int(Decimal(text)) for an integer and a
# datetime.replace (about 6,000 instructions: bench/instructions.py) for each timestamp.
# They replace Piccolo's for the whole process, hence the pin on Piccolo in pyproject.toml.
sqlite3.register_converter("INTEGER", int)
sqlite3.register_converter("BOOLEAN", lambda text: text == b"1")
sqlite3.register_converter("TIMESTAMPTZ", _timestamptz)


def _is_read(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


@functools.lru_cache(maxsize=1024)
def _written_out(sql: str) -> tuple[str, bool]:
    """A written-out statement with its `{}` placeholders as sqlite3 takes them, and
    whether it only reads."""
    return sql.replace("{}", "?"), _is_read(sql)


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" or "busy": another connection holds what is needed."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLite(SQLiteEngine):
    """Piccolo's SQLite engine with a busy timeout and, while open, kept connections."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        # sqlite3's `timeout` installs the busy handler on every connection Piccolo opens.
        super().__init__(path=path, timeout=busy_timeout_ms / 1000)
        self._reader: sqlite3.Connection | None = None
        self._writer: aiosqlite.Connection | None = None
        self._write_lock: asyncio.Lock | None = None
        self._turn_fd: int | None = None

    async def open(self, pool_size: int) -> None:
        """Keep the connections for this worker's event loop (`pool_size` is PostgreSQL's)."""
        reader = sqlite3.connect(
            **{**self.connection_kwargs, "timeout": READER_BUSY_TIMEOUT_S},
            check_same_thread=False,  # closed by `close`, perhaps from another thread
        )
        reader.execute("PRAGMA query_only = 1")
        self._reader = reader
        self._writer = await self.get_connection()  # Piccolo's: dict rows, foreign keys on
        self._write_lock = asyncio.Lock()
        self._turn_fd = os.open(f"{self.path}.write-turn", os.O_RDWR | os.O_CREAT, 0o600)

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
        if self._reader is not None:
            self._reader.close()
        if self._turn_fd is not None:
            os.close(self._turn_fd)
        self._reader = self._writer = self._write_lock = self._turn_fd = None

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        """Piccolo's, on the kept connections while they are open."""
        sql, args = querystring.compile_string(engine_type="sqlite")
        rows = await self._on_kept_connection(sql, args, _is_read(sql))
        return rows if rows is not None else await super().run_querystring(querystring, in_pool)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        """A written-out statement (core.db.sql), run as `run_querystring` runs Piccolo's
        but without parsing its template each time, which cost more than a small read."""
        statement, reads = _written_out(sql)
        rows = await self._on_kept_connection(statement, list(args), reads)
        if rows is None:
            rows = await super().run_querystring(QueryString(sql, *args))
        return rows

    async def _on_kept_connection(self, sql: str, args: list[Any], reads: bool) -> list[Any] | None:
        """The statement's rows from a kept connection, or None where none applies."""
        transaction = self.current_transaction.get()
        if transaction is None:
            if self._reader is not None and reads:
                try:
                    return self._read(sql, args)
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise
        elif self._writer is not None and transaction.connection is self._writer:
            # Piccolo repeats "PRAGMA foreign_keys = 1" before every statement; the kept
            # writer set it once when it opened.
            async with self._writer.execute(sql, args) as cursor:
                return list(await cursor.fetchall())
        return None

    def _read(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        assert self._reader is not None
        cursor = self._reader.execute(sql, args)
        try:
            values = cursor.fetchall()
        finally:
            cursor.close()  # ends the read transaction, so that checkpoints can pass it
        # As dicts, like the writer's rows (Piccolo's dict_factory), but named once per read.
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in values]

    @contextlib.asynccontextmanager
    async def write_transaction(self) -> AsyncIterator[None]:
        """A BEGIN IMMEDIATE transaction: on the kept writer, after this process's other
        writers and in its turn among the worker processes, when open."""
        if self._write_lock is None:
            async with self.transaction(transaction_type=TransactionType.immediate):
                yield
            return
        async with self._write_lock, self.turn():
            if self._writer is None:  # the last one failed to commit or roll back
                self._writer = await self.get_connection()
            writer = self._writer
            # Piccolo's transaction object on the kept connection: Piccolo finds a
            # transaction's connection through `current_transaction`, and its own
            # context manager would close the connection at the end.
            transaction = self.transaction(transaction_type=TransactionType.immediate)
            transaction.connection = writer
            context = self.current_transaction.set(transaction)
            try:
                # Inside the try: a task cancelled while BEGIN is on its way to
                # aiosqlite's thread still begins the transaction there, and it must be
                # rolled back rather than left holding the write lock.
                await transaction.begin()
                yield
            except BaseException:
                # A failed rollback (nothing had begun) drops the connection (_end); what
                # is raised is what went wrong first.
                with contextlib.suppress(Exception):
                    await self._end(transaction.rollback)
                raise
            else:
                await self._end(transaction.commit)
            finally:
                self.current_transaction.reset(context)

    async def _end(self, finish: Callable[[], Awaitable[None]]) -> None:
        """Commit or roll back; if that fails, the kept writer's state is unknown, so the
        next transaction opens another."""
        try:
            await finish()
        except BaseException:
            stale, self._writer = self._writer, None
            if stale is not None:
                with contextlib.suppress(Exception):
                    await stale.close()
            raise

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """This process's turn to write, among the worker processes sharing the file.

        SQLite's busy handler polls in sleeps of up to 100 ms, so a process whose writers
        follow each other back to back kept the write lock and starved the others (a p99
        of seconds with two workers). Waiting in flock() instead, in a thread, lets the
        kernel wake a waiting process as soon as the turn is free. The turn only decides
        who goes next: BEGIN IMMEDIATE still takes SQLite's own write lock, which is what
        keeps writes safe.
        """
        fd = self._turn_fd
        if fd is None:
            yield
            return
        waited = _TurnWait()
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation
            # that comes as the turn is granted, and the cancelled task carries on.
            async with asyncio.timeout(self.connection_kwargs["timeout"]):
                await asyncio.to_thread(waited.take, fd)
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
