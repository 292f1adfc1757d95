"""The SQL behind venue suggestions: members with their private coordinates, and the
revisions that say whether a worker's earlier answer still holds."""

from __future__ import annotations

from rendezvous.core.db import Row, fetch

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


async def group_participants(group_id: int) -> list[Row]:
    rows: list[Row] = await fetch(_GROUP_PARTICIPANTS, group_id)
    return rows


async def event_participants(event_id: int, group_id: int) -> list[Row]:
    """Every member of the event's group, with their RSVP status (null if none)."""
    rows: list[Row] = await fetch(_EVENT_PARTICIPANTS, event_id, group_id)
    return rows


# --- what an answer depends on ------------------------------------------------------
#
# A group's suggestions depend on its members and their coordinates, an event's also on
# its RSVP statuses and its venue. Every change to a group or its members' profiles bumps
# the group's revision, every change to an event or its answers the event's (groups and
# events services). The creation time and the UID tell a group or event apart from a
# later one that reuses its id (SQLite reuses the highest ids).

_GROUP_STATE = "SELECT created_at, revision FROM friend_group WHERE id = {}"
_EVENT_STATE = (
    'SELECT e."group", e.ical_uid, e.revision, e.venue_name, e.venue_address, '
    "e.venue_latitude, e.venue_longitude, g.created_at AS group_created_at, "
    "g.revision AS group_revision FROM event e "
    'JOIN friend_group g ON g.id = e."group" WHERE e.id = {}'
)


async def group_state(group_id: int) -> Row | None:
    """The group's creation time and revision; None if there is no such group."""
    rows = await fetch(_GROUP_STATE, group_id)
    return rows[0] if rows else None


async def event_state(event_id: int) -> Row | None:
    """The event's group, UID, revision and venue, with its group's creation time and
    revision; None if there is no such event."""
    rows = await fetch(_EVENT_STATE, event_id)
    return rows[0] if rows else None
