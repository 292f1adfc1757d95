"""Queues inside one process: an asyncio lock per key, for work that must queue per
resource, and a first-come-first-served gate in front of them."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager


class KeyedLock:
    """`async with locks(key):` runs one holder per key at a time; a key's lock is
    forgotten as soon as nobody holds or awaits it, so memory stays flat."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def __call__(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class FifoGate:
    """`async with gate():` lets at most `size()` holders in at once, in the order they
    arrived (asyncio.Semaphore wakes its waiters first come, first served). One
    semaphore per event loop: each is bound to the loop that first waits on it."""

    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Semaphore(max(1, self._size()))
        return gate
