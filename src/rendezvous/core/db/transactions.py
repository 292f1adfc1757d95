"""The one write-transaction helper, its retries, and what a database failure means.

Rules that read and then write (seats, the last owner, an invite's uses) run in one
`transactional` function that starts by locking the row it decides on (see
core.freshness). On SQLite the transaction is BEGIN IMMEDIATE, which takes the write lock
up front; a read-then-write in a deferred transaction could fail halfway with "database
is locked". Transient failures (busy, serialization failure, deadlock) are retried a few
times, then answered 503 rather than 500.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import random
import socket
import sqlite3
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import asyncpg

from rendezvous.core.db.engines import get_engine
from rendezvous.core.db.sqlite import is_busy
from rendezvous.core.errors import Unavailable

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

MAX_WRITE_ATTEMPTS = 5

# What the running transaction asked to do once it has committed (see after_commit).
_on_commit: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar(
    "on_commit", default=None
)


def after_commit(callback: Callable[[], None]) -> None:
    """Call `callback` once the running `transactional` function's transaction commits
    (never if it rolls back); at once outside one. For signals that must not arrive
    before the data they announce, e.g. waking the outbox's worker."""
    pending = _on_commit.get()
    if pending is None:
        callback()
    elif callback not in pending:
        pending.append(callback)


def is_transient(exc: BaseException) -> bool:
    """Failures that the same transaction may not meet if it simply runs again."""
    return is_busy(exc) or isinstance(
        exc, asyncpg.SerializationError | asyncpg.DeadlockDetectedError
    )


def is_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached at all (down, restarting, network cut): a
    connection that could not be made or was lost, never other OS errors such as a full
    disk or a missing file."""
    if isinstance(exc, asyncpg.InterfaceError | sqlite3.OperationalError):
        text = str(exc).lower()
        return "connection is closed" in text or "unable to open" in text
    return isinstance(
        exc,
        ConnectionError  # refused, reset, aborted, broken pipe
        | TimeoutError  # connecting, or asyncpg's command timeout
        | socket.gaierror  # the database host's name does not resolve
        | asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError,
    )


def transactional(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run a service function in one write transaction, retried on transient failures.

    A call made inside a running transaction joins it, so transactional services may call
    each other.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        engine = get_engine()
        if engine.transaction_exists():
            return await fn(*args, **kwargs)
        for attempt in range(1, MAX_WRITE_ATTEMPTS + 1):
            pending: list[Callable[[], None]] = []
            token = _on_commit.set(pending)
            try:
                async with engine.write_transaction():
                    result = await fn(*args, **kwargs)
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
                continue
            finally:
                _on_commit.reset(token)
            for callback in pending:
                callback()
            return result
        raise Unavailable("The database is busy; please retry in a moment.")

    return wrapper
