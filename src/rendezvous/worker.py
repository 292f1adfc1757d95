"""The outbox's worker as the service runs it: mail's and webhooks' handlers. Each
served process runs one in its lifespan; `rendezvous worker` runs one alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

from litestar import Litestar

from rendezvous.accounts.server_key import ServerKey
from rendezvous.core.db.engines import get_engine
from rendezvous.mail.outgoing import Mailer
from rendezvous.mail.transport import transport_for
from rendezvous.outbox.worker import Handler, Item, Worker
from rendezvous.settings import get_settings
from rendezvous.webhooks import outgoing
from rendezvous.webhooks.transport import Sender

log = logging.getLogger("rendezvous.outbox")

STOP_WITHIN_S = 10.0  # well inside uvicorn's graceful shutdown (30 s)


@contextlib.asynccontextmanager
async def running_worker(key: ServerKey) -> AsyncIterator[Worker]:
    """A worker carrying out due items in the background until the block ends, with the
    process's one server key (which may be the one kept in the database, read once)."""
    settings = get_settings()
    mailer = Mailer(key, transport_for(settings.mail))
    poster = outgoing.Poster(key, Sender(allow_private=settings.webhook_allow_private))
    worker = Worker(
        # Chat first: its fan-out is a query and an insert, a group's mail takes rendering.
        subscribed(poster.handlers(), mailer.handlers()),
        parallel={outgoing.WEBHOOK: outgoing.PARALLEL},
    )
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
        await poster.close()


def subscribed(*subscribers: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per kind: where several subscribe to one announcement, each in turn.
    A retry runs them all again, which their keys make harmless (a mail or a delivery
    already queued is not queued twice)."""
    by_kind: dict[str, list[Handler]] = {}
    for handlers in subscribers:
        for kind, handler in handlers.items():
            by_kind.setdefault(kind, []).append(handler)
    return {
        kind: _each(handlers) if len(handlers) > 1 else handlers[0]
        for kind, handlers in by_kind.items()
    }


def _each(handlers: list[Handler]) -> Handler:
    async def each(item: Item) -> None:
        for handler in handlers:
            await handler(item)

    return each


def _stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the outbox worker stopped", exc_info=task.exception())


@contextlib.asynccontextmanager
async def outbox_worker(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: this process's worker, stopped before the database closes."""
    async with running_worker(app.state.server_key):
        yield


async def run_alone() -> None:
    """`rendezvous worker`: the worker with the database open, until interrupted."""
    engine = get_engine()
    await engine.open(get_settings().db_pool_size)
    try:
        async with running_worker(ServerKey(get_settings().secret_key)):
            log.info("outbox worker running")
            await asyncio.Event().wait()
    finally:
        await engine.close()
