"""The calendars slice's SQL: members' feed secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rendezvous.calendars.tables import FeedToken
from rendezvous.core.db.sql import Row, fetch
from rendezvous.groups.queries import with_groups_of

# Written out, one statement for every feed request, the calendar apps' polling (warm feeds,
# bench/feeds.py; Piccolo takes many times longer to build such joins than the database
# takes to answer them, bench/query_building.py): the feed by its secret's hash, with its
# owner's name and groups, which is all a feed's bytes depend on within a day.
_FEED_BY_HASH = with_groups_of(
    "f.id AS feed_id, f.fingerprint, f.changed_at",
    "feed_token f",
    'f."user"',
    "f.token_hash = {}",
)


async def feed_by_hash(token_hash: str) -> list[Row]:
    """The feed (`feed_id`, `fingerprint`, `changed_at`) with its owner's name and groups,
    one row per group (groups.queries.with_groups_of); none for an unknown secret."""
    return await fetch(_FEED_BY_HASH, token_hash)


async def feed_of_user(user_id: int) -> dict[str, Any] | None:
    return (
        await FeedToken.select(FeedToken.id, FeedToken.nonce, FeedToken.token_hash)
        .where(FeedToken.user == user_id)
        .first()
    )


async def save_feed_secret(
    user_id: int, nonce: str, token_hash: str, now: datetime, replace: bool
) -> None:
    """Store the user's feed secret. Without `replace`, a secret the user already has
    (perhaps from a concurrent request) stays."""
    insert = FeedToken.insert(
        FeedToken(user=user_id, nonce=nonce, token_hash=token_hash, changed_at=now)
    )
    if replace:
        await insert.on_conflict(
            target=FeedToken.user,
            action="DO UPDATE",
            values=[FeedToken.nonce, FeedToken.token_hash],
        )
    else:
        await insert.on_conflict(target=FeedToken.user, action="DO NOTHING")


async def mark_feed_changed(feed_id: int, fingerprint: str, now: datetime) -> None:
    await FeedToken.update({FeedToken.fingerprint: fingerprint, FeedToken.changed_at: now}).where(
        FeedToken.id == feed_id
    )
