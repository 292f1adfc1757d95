"""The SQL behind venue suggestions: members with their private coordinates, and the
change counters that say whether a worker's earlier answer still holds."""

from __future__ import annotations

from typing import Any

from rendezvous.core.db import fetch

# By user id, in the order of the (group, user) index: no sort needed.
_GROUP_PARTICIPANTS = (
    "SELECT u.id AS user_id, u.latitude, u.longitude FROM membership m "
    'JOIN app_user u ON u.id = m."user" WHERE m."group" = {} ORDER BY m."user"'
)
_EVENT_PARTICIPANTS = (
    "SELECT u.id AS user_id, u.latitude, u.longitude, r.status FROM membership m "
    'JOIN app_user u ON u.id = m."user" '
    'LEFT JOIN rsvp r ON r.event = {} AND r."user" = m."user" '
    'WHERE m."group" = {} ORDER BY m."user"'
)


async def group_participants(group_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await fetch(_GROUP_PARTICIPANTS, group_id)
    return rows


async def event_participants(event_id: int, group_id: int) -> list[dict[str, Any]]:
    """Every member of the event's group, with their RSVP status (null if none)."""
    rows: list[dict[str, Any]] = await fetch(_EVENT_PARTICIPANTS, event_id, group_id)
    return rows


# --- what an answer depends on ------------------------------------------------------
#
# A group's suggestions depend on its members and their coordinates: their changes are
# counted in places_revision. An event's depend on those, on its RSVP statuses (counted
# in answers_revision) and on its venue (read as it is). The creation time tells a group
# or event apart from a later one that reuses its id (SQLite reuses the highest ids).

_GROUP_STATE = (
    "SELECT g.created_at, COALESCE(p.revision, 0) AS places_revision FROM friend_group g "
    'LEFT JOIN places_revision p ON p."group" = g.id WHERE g.id = {}'
)
_EVENT_STATE = (
    'SELECT e."group", e.created_at, e.venue_name, e.venue_address, e.venue_latitude, '
    "e.venue_longitude, COALESCE(p.revision, 0) AS places_revision, "
    "COALESCE(a.revision, 0) AS answers_revision FROM event e "
    'LEFT JOIN places_revision p ON p."group" = e."group" '
    "LEFT JOIN answers_revision a ON a.event = e.id WHERE e.id = {}"
)


async def group_state(group_id: int) -> dict[str, Any] | None:
    """The group's creation time and places revision; None if there is no such group."""
    rows = await fetch(_GROUP_STATE, group_id)
    return rows[0] if rows else None


async def event_state(event_id: int) -> dict[str, Any] | None:
    """The event's group, creation time and venue, with the revisions of its group's
    places and of its answers; None if there is no such event."""
    rows = await fetch(_EVENT_STATE, event_id)
    return rows[0] if rows else None


# Called within the transaction that makes the change, so that the change and its count
# become visible together.

_COUNT_MEMBER_CHANGE = (
    'INSERT INTO places_revision ("group", revision) VALUES ({}, 1) '
    'ON CONFLICT ("group") DO UPDATE SET revision = places_revision.revision + 1'
)
# Every group of the member, in id order: concurrent moves lock the rows in one order.
_COUNT_MOVE = (
    'INSERT INTO places_revision ("group", revision) '
    'SELECT m."group", 1 FROM membership m WHERE m."user" = {} ORDER BY m."group" '
    'ON CONFLICT ("group") DO UPDATE SET revision = places_revision.revision + 1'
)
_COUNT_ANSWER_CHANGE = (
    "INSERT INTO answers_revision (event, revision) VALUES ({}, 1) "
    "ON CONFLICT (event) DO UPDATE SET revision = answers_revision.revision + 1"
)


async def count_member_change(group_id: int) -> None:
    """Someone joined or left the group."""
    await fetch(_COUNT_MEMBER_CHANGE, group_id)


async def count_move(user_id: int) -> None:
    """The user's region (so their coordinates) changed: it counts in each of their groups."""
    await fetch(_COUNT_MOVE, user_id)


async def count_answer_change(event_id: int) -> None:
    """An RSVP to the event appeared, went, or changed its status."""
    await fetch(_COUNT_ANSWER_CHANGE, event_id)
