"""The outbox's worker: claims due items, hands each to its kind's handler, and records
what became of it (done, retried later with back-off, or failed for good).

Every served process runs one (app.py's lifespan), and `rendezvous worker` runs one
alone. Several may run against one database: an item is leased to the worker that
claimed it, so none is carried out twice, save when a worker dies (or its handler times
out) after acting but before recording it; handlers make that harmless (a mail's
Message-ID is stable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import asyncpg
import msgspec

from rendezvous.core.db.engines import Postgres, get_engine
from rendezvous.core.db.transactions import transactional
from rendezvous.outbox import queries
from rendezvous.outbox.doorbell import DOORBELL

log = logging.getLogger("rendezvous.outbox")

# Waits after the 1st, 2nd, ... failed attempt, then the last one over and over: the first
# retry comes within seconds (a mail server restarting), later ones hourly.
BACKOFF_S = (5, 30, 60, 300, 900, 1800, 3600)
# Past this since the item was written, a failure is final (the contract says at least 24 h).
GIVE_UP_AFTER = timedelta(hours=26)
BATCH = 50
LEASE = timedelta(seconds=120)
HANDLER_TIMEOUT_S = 60.0  # well inside the lease, so that nobody else takes it meanwhile
POLL_S = 5.0  # due items that no signal announces (reminders) leave at most this late
SETTLE_S = 0.02  # after a wake-up, before claiming (see run)
KEEP_FINISHED = timedelta(days=30)
PRUNE_EVERY_S = 3600.0


class Retry(Exception):
    """The handler could not do it now (a server down, a 4xx): try again later, after
    `after` if given (the other side asked for it, or the kind keeps its own schedule),
    else after the outbox's back-off. `code` is the other side's answer, if any."""

    def __init__(self, reason: str, *, after: timedelta | None = None, code: int | None = None):
        super().__init__(reason)
        self.after = after
        self.code = code


class Failed(Exception):
    """The handler can never do it (a 5xx, a vanished recipient): give up."""

    def __init__(self, reason: str, *, code: int | None = None):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # this one included
    created_at: datetime


# Returns the other side's code (an HTTP status), if there is one to keep.
Handler = Callable[[Item], Awaitable[int | None]]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_S[min(attempts, len(BACKOFF_S)) - 1])


class Worker:
    def __init__(
        self,
        handlers: Mapping[str, Handler],
        *,
        poll_s: float = POLL_S,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        parallel: Mapping[str, int] | None = None,
    ) -> None:
        self._handlers = dict(handlers)
        # Kinds whose items may be carried out side by side, at most so many at once
        # (webhook deliveries, each to its own server); the rest go one after another.
        self._parallel = {kind: asyncio.Semaphore(n) for kind, n in (parallel or {}).items()}
        # Only items it can handle: a worker of an older release leaves newer kinds alone.
        self._kinds = sorted(self._handlers)
        self._poll_s = poll_s
        self._batch = batch
        self._lease = lease
        self._pruned_at = 0.0
        self._stopping = False
        self._wake: asyncio.Event | None = None
        self._next_due: datetime | None = None  # of the items nobody holds, as last read

    def stop(self) -> None:
        """Return from `run` once the batch in hand is done. Cancelling the worker
        instead could catch it starting a transaction, and on PostgreSQL leave a pooled
        connection taken for good (closing the pool then waits for it forever)."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Carry out due items until stopped (or cancelled), waking on a commit in this
        process, on PostgreSQL's NOTIFY from any other, when the next retry is due, or
        every `poll_s` seconds."""
        with DOORBELL.listening() as wake:
            self._wake = wake
            async with self._notifications(wake):
                while not self._stopping:
                    wake.clear()
                    pause = self._poll_s
                    try:
                        while not self._stopping and await self.run_once():
                            pass
                        pause = self._until_next_due()
                    except Exception as exc:  # the database went away: wait, then again
                        log.warning("outbox worker: %s", _reason(exc))
                    # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                    # cancellation that arrives as the event is set, and never stop.
                    if self._stopping:
                        break
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(pause):
                            await wake.wait()
                            # Woken by a commit: let the request that made it answer
                            # first, and the commits of a burst gather into one batch.
                            await asyncio.sleep(SETTLE_S)

    def _until_next_due(self) -> float:
        """Seconds to sleep: until the next item the last run_once saw is due (a chat that
        asked to be tried again in a second), at most `poll_s`."""
        if self._next_due is None:
            return self._poll_s
        wait = (self._next_due - datetime.now(UTC)).total_seconds()
        return min(self._poll_s, max(wait, SETTLE_S))

    async def run_once(self) -> int:
        """Carry out one batch of due items; how many there were."""
        now = datetime.now(UTC)
        self._maybe_prune()
        # A read first, so that an idle worker never waits for SQLite's write lock.
        self._next_due = await queries.next_due(self._kinds, now)
        if self._next_due is None or self._next_due > now:
            return 0
        rows = await _claim(self._kinds, now, self._batch, self._lease)
        items = [
            Item(
                row["id"],
                row["kind"],
                msgspec.json.decode(row["payload"]),
                row["attempts"] + 1,
                row["created_at"],
            )
            for row in rows
        ]
        outcomes = await self._carry_out_all(items)
        done = {item_id: code for item_id, code in outcomes.items() if code is not False}
        if done:
            await _finish(done, datetime.now(UTC))
        return len(rows)

    async def _carry_out_all(self, items: list[Item]) -> dict[int, int | Literal[False] | None]:
        """Each item's outcome: those of parallel kinds side by side, the others in turn."""
        outcomes: dict[int, int | Literal[False] | None] = {}

        async def in_turn(queue: list[Item]) -> None:
            for item in queue:
                outcomes[item.id] = await self._carry_out(item)

        async def alongside(item: Item, room: asyncio.Semaphore) -> None:
            async with room:
                outcomes[item.id] = await self._carry_out(item)

        serial = [item for item in items if item.kind not in self._parallel]
        if len(serial) == len(items):
            await in_turn(serial)
            return outcomes
        async with asyncio.TaskGroup() as group:
            group.create_task(in_turn(serial))
            for item in items:
                if item.kind in self._parallel:
                    group.create_task(alongside(item, self._parallel[item.kind]))
        return outcomes

    async def _carry_out(self, item: Item) -> int | Literal[False] | None:
        """The code to keep once it is done; False if it is not done."""
        try:
            async with asyncio.timeout(HANDLER_TIMEOUT_S):
                code = await self._handlers[item.kind](item)
        except Failed as exc:
            log.error("outbox item %d (%s) failed for good: %s", item.id, item.kind, exc)
            await _fail(item.id, datetime.now(UTC), str(exc), exc.code)
            return False
        except Exception as exc:
            await self._retry(item, exc)
            return False
        log.info("outbox item %d (%s) done, attempt %d", item.id, item.kind, item.attempts)
        return code

    async def _retry(self, item: Item, exc: Exception) -> None:
        reason = _reason(exc)
        code = exc.code if isinstance(exc, Retry) else None
        now = datetime.now(UTC)
        if now - item.created_at > GIVE_UP_AFTER:
            log.error(
                "outbox item %d (%s) failed for good after %d attempts: %s",
                item.id,
                item.kind,
                item.attempts,
                reason,
            )
            await _fail(item.id, now, reason, code)
            return
        asked = exc.after if isinstance(exc, Retry) else None
        wait = asked if asked is not None else backoff(item.attempts)
        level = logging.WARNING if isinstance(exc, Retry | TimeoutError) else logging.ERROR
        log.log(
            level,
            "outbox item %d (%s) attempt %d failed, next in %ds: %s",
            item.id,
            item.kind,
            item.attempts,
            wait.total_seconds(),
            reason,
            exc_info=level == logging.ERROR,  # not an expected failure: a bug to see
        )
        await _retry_at(item.id, now + wait, reason, code)

    def _maybe_prune(self) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_S:
            return
        self._pruned_at = time.monotonic()
        # In the background: a large first prune must not hold up the sending.
        task: asyncio.Task[None] = asyncio.ensure_future(_prune(datetime.now(UTC) - KEEP_FINISHED))
        task.add_done_callback(_log_failure)

    @contextlib.asynccontextmanager
    async def _notifications(self, wake: asyncio.Event) -> Any:
        """On PostgreSQL, LISTEN for commits in other processes while the worker runs.
        Best effort: without it the worker still polls."""
        engine = get_engine()
        if not isinstance(engine, Postgres):
            yield
            return
        connection: asyncpg.Connection | None = None
        try:
            connection = await asyncpg.connect(**engine.config)
            await connection.add_listener(queries.CHANNEL, lambda *_: wake.set())
        except Exception as exc:
            log.warning("outbox worker: no LISTEN, polling only: %s", _reason(exc))
        try:
            yield
        finally:
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("outbox prune failed: %s", _reason(task.exception()))  # type: ignore[arg-type]


@transactional
async def _claim(
    kinds: list[str], now: datetime, limit: int, lease: timedelta
) -> list[dict[str, Any]]:
    return await queries.claim(kinds, now, limit, lease)


@transactional
async def _finish(done: dict[int, int | None], now: datetime) -> None:
    await queries.finish(done, now)


@transactional
async def _retry_at(item_id: int, at: datetime, error: str, code: int | None) -> None:
    await queries.retry_at(item_id, at, error, code)


@transactional
async def _fail(item_id: int, now: datetime, error: str, code: int | None) -> None:
    await queries.fail(item_id, now, error, code)


@transactional
async def _prune(before: datetime) -> None:
    await queries.prune(before)
