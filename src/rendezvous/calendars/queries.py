"""The calendars slice's SQL: members' feed secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rendezvous.calendars.tables import FeedToken
from rendezvous.core.db.sql import Row, fetch_one

# Written out: it starts every feed request, the calendar apps' polling, and Piccolo takes
# many times longer to build it than the database takes to answer (bench/query_building.py;
# warm feeds in bench/feeds.py).
_FEED_BY_HASH = 'SELECT id, "user", fingerprint, changed_at FROM feed_token WHERE token_hash = {}'


async def feed_by_hash(token_hash: str) -> Row | None:
    return await fetch_one(_FEED_BY_HASH, token_hash)


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
