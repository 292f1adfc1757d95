"""The outbox's worker as the service runs it: mail's handlers on the configured
transport. Each served process runs one in its lifespan; `rendezvous worker` runs one
alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar

from rendezvous.accounts.server_key import ServerKey
from rendezvous.core.db.engines import get_engine
from rendezvous.mail.outgoing import Mailer
from rendezvous.mail.transport import transport_for
from rendezvous.outbox.worker import Worker
from rendezvous.settings import get_settings

log = logging.getLogger("rendezvous.outbox")

STOP_WITHIN_S = 10.0  # well inside uvicorn's graceful shutdown (30 s)


@contextlib.asynccontextmanager
async def running_worker() -> AsyncIterator[Worker]:
    """A worker carrying out due items in the background until the block ends."""
    settings = get_settings()
    mailer = Mailer(ServerKey(settings.secret_key), transport_for(settings.mail))
    worker = Worker(mailer.handlers())
    task = asyncio.create_task(worker.run(), name="outbox worker")
    task.add_done_callback(_stopped)
    try:
        yield worker
    finally:
        worker.stop()
        try:
            async with asyncio.timeout(STOP_WITHIN_S):
                await asyncio.shield(task)
        except TimeoutError:  # a large group's mail still rendering: its lease will end
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await mailer.close()


def _stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the outbox worker stopped", exc_info=task.exception())


@contextlib.asynccontextmanager
async def outbox_worker(_: Litestar) -> AsyncIterator[None]:
    """Lifespan: this process's worker, stopped before the database closes."""
    async with running_worker():
        yield


async def run_alone() -> None:
    """`rendezvous worker`: the worker with the database open, until interrupted."""
    engine = get_engine()
    await engine.open(get_settings().db_pool_size)
    try:
        async with running_worker():
            log.info("outbox worker running")
            await asyncio.Event().wait()
    finally:
        await engine.close()
