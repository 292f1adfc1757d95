"""The write-transaction helper on the real engine: retries, 503s, nesting."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest
from litestar import Litestar

from rendezvous.accounts.tables import User
from rendezvous.core.db.transactions import MAX_WRITE_ATTEMPTS, transactional
from rendezvous.core.errors import Unavailable

pytestmark = pytest.mark.usefixtures("app")


@pytest.mark.parametrize(
    "transient",
    [
        sqlite3.OperationalError("database is locked"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.DeadlockDetectedError("deadlock detected"),
    ],
)
async def test_transient_failures_are_retried_and_roll_back(transient: Exception) -> None:
    attempts = 0

    @transactional
    async def flaky() -> int:
        nonlocal attempts
        attempts += 1
        await User.insert(User(name=f"attempt {attempts}"))
        if attempts < 3:
            raise transient
        return attempts

    assert await flaky() == 3
    names = [row["name"] for row in await User.select(User.name)]
    assert names == ["attempt 3"]  # the failed attempts left nothing behind
    await User.delete(force=True)


async def test_persistent_contention_becomes_unavailable() -> None:
    attempts = 0

    @transactional
    async def always_locked() -> None:
        nonlocal attempts
        attempts += 1
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(Unavailable):
        await always_locked()
    assert attempts == MAX_WRITE_ATTEMPTS


async def test_other_errors_propagate_at_once() -> None:
    attempts = 0

    @transactional
    async def broken() -> None:
        nonlocal attempts
        attempts += 1
        await User.insert(User(name="half done"))
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        await broken()
    assert attempts == 1
    assert await User.count() == 0


async def test_nested_calls_join_the_outer_transaction() -> None:
    @transactional
    async def inner(name: str) -> None:
        await User.insert(User(name=name))

    @transactional
    async def outer() -> None:
        await inner("one")
        await inner("two")
        raise ValueError("undo both")

    # on SQLite a second BEGIN or the writer lock would deadlock here; it must not
    with pytest.raises(ValueError):
        await asyncio.wait_for(outer(), timeout=10)
    assert await User.count() == 0


async def test_unreachable_database_errors_become_503(app: Litestar) -> None:
    from types import SimpleNamespace

    from rendezvous.core.http_errors import handle_unexpected

    request = SimpleNamespace(method="GET", scope={"path_template": "/x", "state": {}})
    for exc in (ConnectionRefusedError(111, "refused"), asyncpg.CannotConnectNowError("starting")):
        response = handle_unexpected(request, exc)  # type: ignore[arg-type]
        assert response.status_code == 503
        assert response.headers["Retry-After"]
    bug = handle_unexpected(request, KeyError("x"))  # type: ignore[arg-type]
    assert bug.status_code == 500 and bug.content == {
        "status_code": 500,
        "detail": "Internal Server Error",
    }
