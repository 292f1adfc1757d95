"""Test set-up: a fresh database per run, the app in the test's own event loop.

The database is chosen before `rendezvous` is imported (settings are read once):
- by default, a new SQLite file in a temporary directory;
- with RENDEZVOUS_TEST_DATABASE_URL=postgresql://user@host:port/db, a new throwaway
  database created on that server for this run and dropped at the end.
Either way the suite applies the real migrations to an empty database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

_TMP = tempfile.mkdtemp(prefix="rendezvous-tests-")
_SERVER_URL = os.environ.get("RENDEZVOUS_TEST_DATABASE_URL", "").strip()
_THROWAWAY_DB: str | None = None


async def _admin(server_url: str, sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(server_url, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


if _SERVER_URL:
    _THROWAWAY_DB = f"rendezvous_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(_SERVER_URL, f'CREATE DATABASE "{_THROWAWAY_DB}"'))
    parts = urlsplit(_SERVER_URL)
    os.environ["RENDEZVOUS_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{_THROWAWAY_DB}"))
else:
    os.environ["RENDEZVOUS_DATABASE_URL"] = f"sqlite:///{_TMP}/test.sqlite"
os.environ.setdefault("RENDEZVOUS_PUBLIC_URL", "http://rendezvous.test")
# Tests make bursts of requests from one address; tests/api/test_rate_limits.py turns the
# limits on for the servers it starts.
os.environ["RENDEZVOUS_RATE_LIMIT_WRITES"] = "0"
os.environ["RENDEZVOUS_RATE_LIMIT_GEOCODING"] = "0"
os.environ["RENDEZVOUS_RATE_LIMIT_SIGNUPS"] = "0"
os.environ.pop("RENDEZVOUS_REDIS_URL", None)
# Every served app's mail goes to one real SMTP server (tests/mailbox.py), started below.
from tests.mailbox import MAILBOX, Mailbox  # noqa: E402

os.environ["RENDEZVOUS_MAIL_URL"] = MAILBOX.url
os.environ["RENDEZVOUS_MAIL_FROM"] = "Rendezvous <invites@meet.test>"
# Webhook tests post to receivers on loopback (tests/webhook_receiver.py);
# tests/api/test_webhooks.py checks the guard with it off.
os.environ["RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE"] = "true"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _THROWAWAY_DB:
        asyncio.run(_admin(_SERVER_URL, f'DROP DATABASE IF EXISTS "{_THROWAWAY_DB}" WITH (FORCE)'))
    shutil.rmtree(_TMP, ignore_errors=True)


def pytest_report_header() -> str:
    return f"rendezvous test database: {os.environ['RENDEZVOUS_DATABASE_URL']}"


# Imported only now: the settings above must be in place first.
import asyncpg  # noqa: E402
import httpx  # noqa: E402
from litestar import Litestar  # noqa: E402

from rendezvous.app import create_app  # noqa: E402
from rendezvous.core.db.engines import get_engine, is_sqlite  # noqa: E402
from rendezvous.core.db.migrations import migrate  # noqa: E402
from rendezvous.piccolo_conf import APP_REGISTRY  # noqa: E402
from tests.helpers import Api  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server every app in the tests sends to; emptied before each test."""
    MAILBOX.start()
    yield MAILBOX
    MAILBOX.stop()


@pytest.fixture(autouse=True)
def _empty_mailbox(mailbox: Mailbox) -> None:
    mailbox.clear()


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[Litestar]:
    await migrate()
    application = create_app()
    # The lifespan holds an anyio task group, which must be left by the task that
    # entered it; pytest-asyncio tears fixtures down in another task, so it gets its own.
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(run_lifespan())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when="FIRST_COMPLETED")
    if task.done():
        task.result()  # start-up failed: raise its error here
    yield application
    stop.set()
    await task


@pytest.fixture
async def api(app: Litestar) -> AsyncIterator[Api]:
    """An HTTP client on the app, in this event loop, so concurrent requests really overlap."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rendezvous.test") as client:
        yield Api(client)
    await _empty_tables()


async def _empty_tables() -> None:
    from piccolo.table import sort_table_classes

    await _outbox_settled()
    tables = sort_table_classes(
        [table for app in APP_REGISTRY.app_configs.values() for table in app.table_classes]
    )
    engine = get_engine()
    if is_sqlite(engine):
        for table in reversed(tables):
            await engine.run_ddl(f'DELETE FROM "{table._meta.tablename}"')
        return
    names = ", ".join(f'"{table._meta.tablename}"' for table in tables)
    for attempt in range(5):
        try:
            await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        except asyncpg.DeadlockDetectedError:
            # the app's outbox worker locked some of the tables in another order
            if attempt == 4:
                raise
            await asyncio.sleep(0.05)


async def _outbox_settled(within_s: float = 2.0) -> None:
    """Give the app's outbox worker a moment to finish what the test caused, so that its
    mail does not arrive during the next test."""
    from datetime import UTC, datetime

    from rendezvous.outbox import queries as outbox

    deadline = asyncio.get_running_loop().time() + within_s
    while asyncio.get_running_loop().time() < deadline:
        now = datetime.now(UTC)
        busy = [
            item
            for item in await outbox.items()
            if item["state"] == "pending"
            and item["next_attempt_at"] <= now
            and not item["kind"].startswith("test.")  # tests/api/test_outbox.py's own
        ]
        if not busy:
            return
        await asyncio.sleep(0.02)
