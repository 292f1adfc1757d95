"""Writing outbox items: called by the slices whose changes cause side effects, always
inside the change's own write transaction, so that a rolled-back change causes nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from rendezvous.core.db.engines import get_engine
from rendezvous.core.db.transactions import after_commit
from rendezvous.outbox import queries
from rendezvous.outbox.doorbell import DOORBELL


def _in_transaction() -> None:
    if not get_engine().transaction_exists():
        raise RuntimeError("outbox items are written inside the change's transaction")


@dataclass(frozen=True, slots=True)
class Entry:
    """One item to write: of `kind`, due at `due_at` (now by default). With a `key`, an
    item that already has it (pending or carried out, until pruned) makes this one a
    no-op."""

    kind: str
    payload: Mapping[str, Any]
    key: str | None = None
    due_at: datetime | None = None
    topic: str | None = None  # whose item it is (see OutboxItem.topic)
    label: str | None = None


async def put(
    kind: str,
    payload: Mapping[str, Any],
    *,
    key: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """One item (see Entry)."""
    await put_all([Entry(kind, payload, key, due_at)])


async def put_all(entries: Sequence[Entry]) -> None:
    """Items written in one statement: a change's announcements, a batch's mails."""
    _in_transaction()
    if not entries:
        return
    now = datetime.now(UTC)
    await queries.put(
        [
            queries.NewItem(
                e.kind,
                msgspec.json.encode(e.payload).decode(),
                e.key,
                e.due_at or now,
                e.topic,
                e.label,
            )
            for e in entries
        ],
        now,
    )
    after_commit(DOORBELL.ring)


async def withdraw(key_prefix: str) -> None:
    """Drop pending items whose keys start with `key_prefix` (a cancelled meetup's
    reminder); those already carried out stay as they were."""
    _in_transaction()
    await queries.withdraw_pending(key_prefix)


async def withdraw_topics(topics: Sequence[str]) -> None:
    """Drop the pending items of these owners (a deleted webhook's deliveries)."""
    _in_transaction()
    if topics:
        await queries.withdraw_topics(topics)


async def page_of(topic: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One owner's items, newest first (id, label, state, attempts, last_code, created_at,
    finished_at), and how many it has."""
    return await queries.topic_page(topic, limit, offset)
