"""How a change becomes visible: two revisions, and the worker caches keyed by them.

Why no cache is ever stale, in one place.

**Revisions.** `friend_group` and `event` each carry a `revision`. Every write
transaction on one of those rows starts with `touch`, an UPDATE that moves the revision
and locks the row until the transaction ends (every other writer of the row waits for it,
as with SELECT ... FOR UPDATE; that lock is also what keeps seats, the last owner and an
invite's uses right under concurrent requests). What touches what:

- a group: its edits, members joining, leaving or changing role (groups), each of a
  member's groups when they edit their profile (rendezvous.flows), any change to one
  of its events that calendars show: confirmation, cancellation, an edit that raises the
  event's sequence (events), and any change to its webhooks (webhooks);
- an event: every change to it, its time and place options, votes or answers (events),
  and each event of a group a member leaves (rendezvous.flows).

A transaction that touches both takes the group first, so that two of them never wait
for each other.

**Caches.** Each worker keeps, in `WorkerCaches` (built once in its lifespan, in
`app.state.caches`), answers under a key that holds every input they depend on. The key
is read in the request's own first statement, so a worker never serves an answer older
than the revisions it read; at worst an entry goes unused once its inputs move on. A row's
creation time (or an event's UID) is part of each key because SQLite gives a deleted
row's id to the next one.

- `group_members`: a group's members, by (group id, creation time, group revision):
  GET /groups/{id}.
- `event_tallies`: an event's options with their votes and its RSVP counts, by (event
  UID, event revision): GET /events/{id}.
- `venue_answers`: encoded venue suggestions and joint polls' plans, by the group's (id,
  creation time, revision), for an event also its (UID, revision), the strategy and the
  limit.
- `plan_centres`: the centre of a set of people, by the strategy and a digest of their
  coordinates (the inputs themselves, so never stale): a joint poll's plan recomputed after
  a vote reuses the dates whose participants did not change.
- `rendered_feeds`: calendar feeds, by a fingerprint of the owner's name, the day and
  each of their groups' (id, creation time, revision, name).

Losing any of them costs only working an answer out again.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from piccolo.table import Table

from rendezvous.core.db.sql import Row, fetch_one
from rendezvous.core.lru import Lru

MB = 1024 * 1024


# Written out, from the table's own names: every write on a group or an event starts here,
# RSVPs included (bench/rsvp.py), and on PostgreSQL the answer's one statement builds on it.
@functools.cache
def touch_statement(table: type[Table], returning: tuple[str, ...] = ("id",)) -> str:
    """The UPDATE that touches one row of `table` (`{}`: its id), returning the columns
    named."""
    columns = ", ".join(f'"{name}"' for name in returning)
    return (
        f'UPDATE "{table._meta.tablename}" SET revision = revision + 1 '  # noqa: S608 - names
        f"WHERE id = {{}} RETURNING {columns}"
    )


async def touch(table: type[Table], row_id: int, *returning: str) -> Row | None:
    """Lock the row until the transaction ends and move its revision; the row's
    `returning` columns (its id by default), or None if there is no such row."""
    return await fetch_one(touch_statement(table, returning or ("id",)), row_id)


@dataclass(slots=True)
class WorkerCaches:
    """What one worker keeps between requests (see the module's docstring for the keys)."""

    # Weighed in members: 100,000 of them take about 25 MB.
    group_members: Lru[Hashable, Any] = field(
        default_factory=lambda: Lru(max_weight=100_000, weigh=len)
    )
    event_tallies: Lru[Hashable, Any] = field(default_factory=lambda: Lru(max_weight=10_000))
    # An answer for 2,000 members is about 280 KB: a couple of hundred large groups.
    venue_answers: Lru[Hashable, bytes] = field(
        default_factory=lambda: Lru(max_weight=64 * MB, weigh=len)
    )
    rendered_feeds: Lru[Hashable, bytes] = field(
        default_factory=lambda: Lru(max_weight=64 * MB, weigh=len)
    )
    # A joint poll's centres, by (strategy, a digest of the participants' coordinates):
    # a vote changes one date's participants, and the others' centres stay as they were.
    plan_centres: Lru[Hashable, tuple[float, float]] = field(
        default_factory=lambda: Lru(max_weight=20_000)
    )


@asynccontextmanager
async def worker_caches(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: this worker's caches, as `app.state.caches`."""
    app.state.caches = WorkerCaches()
    yield
