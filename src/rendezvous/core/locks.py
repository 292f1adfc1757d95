"""Queues inside one worker: an asyncio lock per key, for work that must queue per
resource, optionally behind a first-come-first-served door."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class KeyedLock:
    """`async with locks(key):` runs one holder per key at a time; a key's lock is
    forgotten as soon as nobody holds or awaits it, so memory stays flat.

    With `admit`, at most that many get past a door to the keys at once, in the order they
    came (asyncio.Semaphore wakes its waiters first come, first served): otherwise one
    waiting behind a busy key is overtaken by every later arrival for a quiet one."""

    def __init__(self, admit: int | None = None) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        self._door = asyncio.Semaphore(max(1, admit)) if admit is not None else None

    @asynccontextmanager
    async def __call__(self, key: Hashable) -> AsyncIterator[None]:
        if self._door is None:
            async with self._key(key):
                yield
        else:
            async with self._door, self._key(key):
                yield

    @asynccontextmanager
    async def _key(self, key: Hashable) -> AsyncIterator[None]:
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
