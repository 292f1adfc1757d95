"""Waking this process's outbox workers as soon as a transaction that wrote items commits."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator


class Doorbell:
    """A process-wide signal: `ring` (from any thread or event loop) wakes every worker
    listening in this process. A worker may also wake on its own (a poll, PostgreSQL's
    NOTIFY); a ring only makes it sooner."""

    def __init__(self) -> None:
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()

    def ring(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for loop, event in listeners:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    @contextlib.contextmanager
    def listening(self) -> Iterator[asyncio.Event]:
        """An event the ring sets, for as long as the block runs (in a running loop)."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners.add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                self._listeners.discard(entry)


# One per process, like the database engine: a commit anywhere in it may concern any of
# its workers (a served worker's own, or the test suite's).
DOORBELL = Doorbell()
