"""A least-recently-used cache for what a worker keeps between requests: per process,
bounded, and safe to lose (a miss only costs working the value out again)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from rendezvous.core.locks import KeyedLock

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `max_weight` in all, each value weighing `weigh(value)` (1 by default);
    the least recently used go first. Only the worker's event loop uses it."""

    def __init__(self, max_weight: int, weigh: Callable[[V], int] = lambda _: 1) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._max_weight = max_weight
        self._weigh = weigh
        self._computing = KeyedLock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        weight = self._weigh(value)
        if key in self._items or weight > self._max_weight:
            return
        self._items[key] = value
        self._weight += weight
        while self._weight > self._max_weight:
            _, evicted = self._items.popitem(last=False)
            self._weight -= self._weigh(evicted)

    async def get_or_compute(self, key: K, compute: Callable[[], Awaitable[V]]) -> V:
        """The value for `key`, computed once however many requests miss it together."""
        value = self.get(key)
        if value is None:
            async with self._computing(key):
                value = self.get(key)  # perhaps computed by the request this one waited for
                if value is None:
                    value = await compute()
                    self.put(key, value)
        return value
