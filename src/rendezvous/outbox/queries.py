"""The outbox slice's SQL: writing items, claiming due ones, recording what became of them."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from rendezvous.core.db.engines import Postgres, get_engine
from rendezvous.core.db.sql import fetch
from rendezvous.outbox.tables import OutboxItem

# The channel `rendezvous worker` processes listen on (PostgreSQL's LISTEN/NOTIFY).
CHANNEL = "rendezvous_outbox"


# Written out: every change people hear of writes its items in its own transaction, so
# this is on the write path of confirm, RSVPs and sign-ups; Piccolo's builder took longer
# to write the INSERT than the database took to run it (bench/README.md, Mail).
_INSERT = (
    "INSERT INTO outbox (kind, payload, dedupe_key, next_attempt_at, topic, label, "
    "created_at, state, attempts) VALUES {} ON CONFLICT (dedupe_key) DO NOTHING"
)
_ROW = "({}, {}, {}, {}, {}, {}, {}, 'pending', 0)"


class NewItem(NamedTuple):
    kind: str
    payload: str  # JSON
    key: str | None
    due: datetime
    topic: str | None
    label: str | None


@functools.lru_cache(maxsize=64)
def _insert(rows: int) -> str:
    return _INSERT.replace("{}", ", ".join([_ROW] * rows), 1)


async def put(rows: Sequence[NewItem], now: datetime) -> None:
    """Write items in the running transaction, in one statement; an item whose key is
    taken is not written."""
    args: list[Any] = []
    for row in rows:
        args += [*row, now]
    await fetch(_insert(len(rows)), *args)
    if isinstance(get_engine(), Postgres):
        # Delivered when (and only if) the transaction commits, to every listening process.
        await fetch(f"NOTIFY {CHANNEL}")


async def withdraw_pending(key_prefix: str) -> None:
    """Delete the pending items whose key starts with `key_prefix`."""
    assert "%" not in key_prefix and "_" not in key_prefix, "LIKE would read them as wildcards"
    await OutboxItem.delete().where(
        (OutboxItem.state == "pending") & OutboxItem.dedupe_key.like(f"{key_prefix}%")
    )


async def withdraw_topics(topics: Sequence[str]) -> None:
    await OutboxItem.delete().where(
        (OutboxItem.state == "pending") & OutboxItem.topic.is_in(list(topics))
    )


async def topic_page(topic: str, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One owner's items, newest first, and how many it has."""
    rows = (
        await OutboxItem.select(
            OutboxItem.id,
            OutboxItem.label,
            OutboxItem.state,
            OutboxItem.attempts,
            OutboxItem.last_code,
            OutboxItem.created_at,
            OutboxItem.finished_at,
        )
        .where(OutboxItem.topic == topic)
        .order_by(OutboxItem.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )
    return rows, await OutboxItem.count().where(OutboxItem.topic == topic)


async def next_due(kinds: Sequence[str], now: datetime) -> datetime | None:
    """When the earliest pending item of these kinds that nobody holds is due (the
    outbox_due index): a claim finds something if that is now or earlier."""
    row = (
        await OutboxItem.select(OutboxItem.next_attempt_at)
        .where(_unheld(kinds, now))
        .order_by(OutboxItem.next_attempt_at)
        .first()
    )
    return row["next_attempt_at"] if row else None


def _unheld(kinds: Sequence[str], now: datetime) -> Any:
    """Pending items of these kinds that no worker's lease holds."""
    return (
        (OutboxItem.state == "pending")
        & OutboxItem.kind.is_in(list(kinds))
        & (OutboxItem.leased_until.is_null() | (OutboxItem.leased_until < now))
    )


def _claimable(kinds: Sequence[str], now: datetime) -> Any:
    return _unheld(kinds, now) & (OutboxItem.next_attempt_at <= now)


async def claim(
    kinds: Sequence[str], now: datetime, limit: int, lease: timedelta
) -> list[dict[str, Any]]:
    """Lease up to `limit` due items of these kinds, oldest due first (in the running
    transaction).

    On PostgreSQL, rows another worker is claiming at this moment are skipped (SKIP
    LOCKED) rather than waited for; on SQLite the transaction holds the only write lock.
    Either way a leased item is nobody else's until the lease ends."""
    query = (
        OutboxItem.select(
            OutboxItem.id,
            OutboxItem.kind,
            OutboxItem.payload,
            OutboxItem.attempts,
            OutboxItem.created_at,
        )
        .where(_claimable(kinds, now))
        .order_by(OutboxItem.next_attempt_at)
        .limit(limit)
    )
    if isinstance(get_engine(), Postgres):
        query = query.lock_rows("UPDATE", skip_locked=True)
    rows = await query
    if rows:
        await OutboxItem.update(
            {OutboxItem.leased_until: now + lease, OutboxItem.attempts: OutboxItem.attempts + 1}
        ).where(OutboxItem.id.is_in([row["id"] for row in rows]))
    return rows


async def finish(done: Mapping[int, int | None], now: datetime) -> None:
    """Done (item id -> the other side's code): the item keeps its key (so that it is not
    written again) until pruned, but not its payload, which for a mail is the whole
    message (bench/README.md, Mail). One statement per code, and mostly there is one."""
    by_code: dict[int | None, list[int]] = {}
    for item_id, code in done.items():
        by_code.setdefault(code, []).append(item_id)
    for code, ids in by_code.items():
        await OutboxItem.update(
            {
                OutboxItem.state: "done",
                OutboxItem.finished_at: now,
                OutboxItem.leased_until: None,
                OutboxItem.payload: "",
                OutboxItem.last_code: code,
            }
        ).where(OutboxItem.id.is_in(ids))


async def retry_at(item_id: int, at: datetime, error: str, code: int | None) -> None:
    await OutboxItem.update(
        {
            OutboxItem.next_attempt_at: at,
            OutboxItem.leased_until: None,
            OutboxItem.last_error: error[:2000],
            OutboxItem.last_code: code,
        }
    ).where(OutboxItem.id == item_id)


async def fail(item_id: int, now: datetime, error: str, code: int | None) -> None:
    await OutboxItem.update(
        {
            OutboxItem.state: "failed",
            OutboxItem.finished_at: now,
            OutboxItem.leased_until: None,
            OutboxItem.last_error: error[:2000],
            OutboxItem.last_code: code,
        }
    ).where(OutboxItem.id == item_id)


async def prune(finished_before: datetime) -> None:
    """Forget items that ended long ago (their keys with them)."""
    await OutboxItem.delete().where(OutboxItem.finished_at < finished_before)


async def items(kind: str | None = None) -> list[dict[str, Any]]:
    """Every item, oldest first (for the command line's status and for tests)."""
    query = OutboxItem.select().order_by(OutboxItem.id)
    if kind is not None:
        query = query.where(OutboxItem.kind == kind)
    return await query
