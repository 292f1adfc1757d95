"""Applying every app's Piccolo migrations, once, however many processes start together."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import io
from collections.abc import AsyncIterator

import asyncpg

from rendezvous.core.db.engines import Database, Postgres, get_engine

# Any 64-bit key will do; it only has to be the same in every process.
MIGRATION_LOCK_KEY = 0x52_44_56_5A_4D_49_47  # "RDVZMIG"


@contextlib.asynccontextmanager
async def _migration_lock(engine: Database) -> AsyncIterator[None]:
    """Only one process applies migrations at a time; the others wait, then find
    nothing left to do. A PostgreSQL advisory lock, or a file lock beside SQLite's file."""
    if isinstance(engine, Postgres):
        connection = await asyncpg.connect(**engine.config)
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
            yield
        finally:
            await connection.close()  # ends the session, which releases the lock
    else:
        with open(f"{engine.path}.migrate-lock", "w") as handle:  # noqa: ASYNC230 - instant
            await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


async def migrate(engine: Database | None = None) -> list[str]:
    """Apply pending migrations of every app; returns "app id" for each one applied."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.apps.migrations.tables import Migration

    engine = engine or get_engine()
    if not isinstance(engine, Postgres):
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
