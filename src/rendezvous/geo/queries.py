"""The geo slice's SQL: the geocoding cache, kept within bounds."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rendezvous.geo.tables import GeocodeCache

# A place does not move; "not found" is kept briefly because the data behind an online
# geocoder grows.
FOUND_TTL = timedelta(days=180)
NOT_FOUND_TTL = timedelta(days=1)
# However many lookups the rate limits let through, the table keeps at most this many
# answers: the newest (about 75 MB at most).
MAX_CACHED_QUERIES = 50_000
NOTHING_FOUND = "[]"


async def cached(source: str, query: str) -> dict[str, Any] | None:
    """The stored answer (results as JSON, created_at) for a normalised query."""
    return (
        await GeocodeCache.select(GeocodeCache.results, GeocodeCache.created_at)
        .where((GeocodeCache.source == source) & (GeocodeCache.query == query))
        .first()
    )


async def store(source: str, query: str, results: str, now: datetime) -> None:
    """Keep an answer (two workers storing one query at once: the later wins, both are
    right), and prune: answers past their time to live, and the oldest beyond
    MAX_CACHED_QUERIES."""
    rows = await (
        GeocodeCache.insert(
            GeocodeCache(source=source, query=query, results=results, created_at=now)
        )
        .on_conflict(
            target=(GeocodeCache.source, GeocodeCache.query),
            action="DO UPDATE",
            values=[GeocodeCache.results, GeocodeCache.created_at],
        )
        .returning(GeocodeCache.id)
    )
    await GeocodeCache.delete().where(
        (GeocodeCache.created_at < now - FOUND_TTL)
        | (
            (GeocodeCache.results == NOTHING_FOUND)
            & (GeocodeCache.created_at < now - NOT_FOUND_TTL)
        )
    )
    # Ids grow with every new query, so those more than the cap below the newest are the
    # oldest: found through the primary key, without counting the table.
    await GeocodeCache.delete().where(GeocodeCache.id <= rows[0]["id"] - MAX_CACHED_QUERIES)
