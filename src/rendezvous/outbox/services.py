"""Writing outbox items: called by the slices whose changes cause side effects, always
inside the change's own write transaction, so that a rolled-back change causes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rendezvous.core.db.engines import get_engine
from rendezvous.core.db.transactions import after_commit
from rendezvous.outbox import queries
from rendezvous.outbox.doorbell import DOORBELL


def _in_transaction() -> None:
    if not get_engine().transaction_exists():
        raise RuntimeError("outbox items are written inside the change's transaction")


async def put(
    kind: str,
    payload: Mapping[str, Any],
    *,
    key: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """An item of `kind`, due at `due_at` (now by default). With a `key`, an item that
    already has it (pending or carried out, until pruned) makes this one a no-op."""
    await put_many(kind, [(payload, key)], due_at=due_at)


async def put_many(
    kind: str,
    items: Sequence[tuple[Mapping[str, Any], str | None]],
    *,
    due_at: datetime | None = None,
) -> None:
    """Several items of one kind (payload, key), as `put` writes one, in one statement."""
    _in_transaction()
    if not items:
        return
    now = datetime.now(UTC)
    await queries.put(kind, items, due_at or now, now)
    after_commit(DOORBELL.ring)


async def schedule(
    kind: str, payload: Mapping[str, Any], *, key: str, due_at: datetime, replacing: str
) -> None:
    """An item due later that replaces the pending ones whose keys start with `replacing`
    (a reminder for a meetup whose start moved)."""
    _in_transaction()
    await queries.withdraw_pending(replacing, keep=key)
    await put(kind, payload, key=key, due_at=due_at)


async def withdraw(key_prefix: str) -> None:
    """Drop pending items whose keys start with `key_prefix` (a cancelled meetup's
    reminder); those already carried out stay as they were."""
    _in_transaction()
    await queries.withdraw_pending(key_prefix)
