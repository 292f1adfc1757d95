"""The calendars slice's SQL: who an invite goes to, what a feed holds, feed secrets."""

from __future__ import annotations

from datetime import datetime

from rendezvous.accounts.tables import FeedToken
from rendezvous.core.db import Row, fetch

_MEMBERS = (
    "SELECT u.id, u.name, u.email, r.status, r.waitlisted, r.guests, r.note "
    'FROM membership m JOIN app_user u ON u.id = m."user" '
    'LEFT JOIN rsvp r ON r.event = {} AND r."user" = m."user" '
    'WHERE m."group" = {} ORDER BY u.id'
)


async def invitees(event_id: int, group_id: int) -> list[Row]:
    """Every member of the group with their answer to the event (status null if none)."""
    rows: list[Row] = await fetch(_MEMBERS, event_id, group_id)
    return rows


async def person(user_id: int) -> Row | None:
    rows = await fetch("SELECT id, name, email FROM app_user WHERE id = {}", user_id)
    return rows[0] if rows else None


async def group_name(group_id: int) -> str:
    rows = await fetch("SELECT name FROM friend_group WHERE id = {}", group_id)
    return str(rows[0]["name"]) if rows else ""


async def answer_of(event_id: int, user_id: int) -> Row | None:
    rows = await fetch(
        'SELECT guests, note FROM rsvp WHERE event = {} AND "user" = {}', event_id, user_id
    )
    return rows[0] if rows else None


# Confirmed events, and events cancelled since `cancelled_since`, that overlap the window,
# in all of the member's groups, soonest first.
_FEED_FROM = (
    'FROM event e JOIN membership m ON m."group" = e."group" AND m."user" = {} '
    'JOIN friend_group g ON g.id = e."group" '
    "WHERE (e.status = 'confirmed' OR (e.status = 'cancelled' AND e.updated_at >= {})) "
    "AND e.ends_at >= {} AND e.starts_at < {} "
    "ORDER BY e.starts_at, e.id LIMIT {}"
)
_FEED_EVENTS = (
    "SELECT e.id, e.ical_uid, e.title, e.description, e.status, e.timezone, "
    "e.venue_name, e.venue_address, e.venue_latitude, e.venue_longitude, "
    "e.starts_at, e.ends_at, e.sequence, e.created_at, e.updated_at, g.name AS group_name "
    + _FEED_FROM
)


async def feed_events(
    user_id: int, cancelled_since: datetime, since: datetime, until: datetime, limit: int
) -> list[Row]:
    rows: list[Row] = await fetch(_FEED_EVENTS, user_id, cancelled_since, since, until, limit)
    return rows


# --- feed secrets ----------------------------------------------------------------------


async def feed_of_user(user_id: int) -> Row | None:
    rows = await fetch('SELECT id, nonce, token_hash FROM feed_token WHERE "user" = {}', user_id)
    return rows[0] if rows else None


_INSERT_FEED_ROW = (
    'INSERT INTO feed_token ("user", nonce, token_hash, fingerprint, changed_at) '
    'VALUES ({}, {}, {}, NULL, {}) ON CONFLICT ("user") '
)
_SAVE_FEED_ROW = {
    False: _INSERT_FEED_ROW + "DO NOTHING",
    True: _INSERT_FEED_ROW
    + "DO UPDATE SET nonce = excluded.nonce, token_hash = excluded.token_hash",
}


async def save_feed_secret(
    user_id: int, nonce: str, token_hash: str, now: datetime, replace: bool
) -> None:
    """Store the user's feed secret. Without `replace`, a secret the user already has
    (perhaps from a concurrent request) stays."""
    await fetch(_SAVE_FEED_ROW[replace], user_id, nonce, token_hash, now)


# A feed's owner and, one row each, the groups whose events it shows: their names and
# how often their events have changed. With the day, that is all the feed depends on.
_FEED_BY_HASH = (
    "SELECT f.id, f.fingerprint, f.changed_at, u.id AS user_id, u.name, "
    "g.id AS group_id, g.name AS group_name, g.created_at AS group_created_at, "
    "COALESCE(r.revision, 0) AS revision "
    'FROM feed_token f JOIN app_user u ON u.id = f."user" '
    'LEFT JOIN membership m ON m."user" = u.id '
    'LEFT JOIN friend_group g ON g.id = m."group" '
    'LEFT JOIN calendar_revision r ON r."group" = m."group" '
    "WHERE f.token_hash = {} ORDER BY g.id"
)


async def feed_by_token(token_hash: str) -> list[Row]:
    """The feed's owner and groups (one row per group; one row with null groups if the
    owner is in none); no rows for an unknown secret."""
    rows: list[Row] = await fetch(_FEED_BY_HASH, token_hash)
    return rows


async def mark_feed_changed(feed_id: int, fingerprint: str, now: datetime) -> None:
    await FeedToken.update({FeedToken.fingerprint: fingerprint, FeedToken.changed_at: now}).where(
        FeedToken.id == feed_id
    )


async def server_secret(name: str, fresh_value: str) -> str:
    """The installation's secret called `name`, made from `fresh_value` the first time
    (whichever process gets there first wins; the others read its value)."""
    await fetch(
        "INSERT INTO server_secret (name, value) VALUES ({}, {}) ON CONFLICT (name) DO NOTHING",
        name,
        fresh_value,
    )
    rows = await fetch("SELECT value FROM server_secret WHERE name = {}", name)
    return str(rows[0]["value"])
