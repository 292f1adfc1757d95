"""The SQL behind venue suggestions: members with their private coordinates."""

from __future__ import annotations

from rendezvous.core.db import Row, fetch

_GROUP_PARTICIPANTS = (
    "SELECT u.id AS user_id, u.latitude, u.longitude FROM membership m "
    'JOIN app_user u ON u.id = m."user" WHERE m."group" = {} ORDER BY u.id'
)
_EVENT_PARTICIPANTS = (
    "SELECT u.id AS user_id, u.latitude, u.longitude, r.status FROM membership m "
    'JOIN app_user u ON u.id = m."user" '
    'LEFT JOIN rsvp r ON r.event = {} AND r."user" = m."user" '
    'WHERE m."group" = {} ORDER BY u.id'
)
_EVENT_VENUE = (
    "SELECT venue_name, venue_address, venue_latitude, venue_longitude FROM event WHERE id = {}"
)


async def group_participants(group_id: int) -> list[Row]:
    rows: list[Row] = await fetch(_GROUP_PARTICIPANTS, group_id)
    return rows


async def event_participants(event_id: int, group_id: int) -> list[Row]:
    """Every member of the event's group, with their RSVP status (null if none)."""
    rows: list[Row] = await fetch(_EVENT_PARTICIPANTS, event_id, group_id)
    return rows


async def event_venue(event_id: int) -> Row | None:
    rows = await fetch(_EVENT_VENUE, event_id)
    return rows[0] if rows else None
