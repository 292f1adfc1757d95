"""Geocoders with geopy's interface, and the cache that every lookup goes through.

Two geocoders answer `await geocode(query, exactly_one=..., limit=...)` with geopy
`Location`s: the bundled offline gazetteer (the default) and geopy's Nominatim.
`CachedGeocoder` puts the database cache in front of either and turns locations into
`GeocodeResult`s with a time zone inferred from the coordinates; it is the `Geocoder`
(core.geocoding) the other slices are given.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol

import msgspec
import tzfpy
from geopy import exc as geopy_errors
from geopy.adapters import AioHTTPAdapter
from geopy.extra.rate_limiter import AsyncRateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from rendezvous import __version__
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Unavailable, Unprocessable
from rendezvous.core.geocoding import GeocodeResult
from rendezvous.core.locks import KeyedLock
from rendezvous.geo import queries
from rendezvous.geo.gazetteer import Gazetteer, normalise

log = logging.getLogger(__name__)

# Every lookup asks for this many results and caches them all, so that any `limit`
# up to it is served from one cache entry.
MAX_RESULTS = 10
LABEL_MAX = 300  # app_user.region_label

USER_AGENT = f"rendezvous/{__version__}"
# Nominatim's usage policy: at most one request a second, an identifying user agent.
NOMINATIM_MIN_DELAY_SECONDS = 1.0
NOMINATIM_TIMEOUT_SECONDS = 5.0
# How long a request may wait for its turn behind others before we give up with 503.
NOMINATIM_QUEUE_SECONDS = 10.0


class Geocoder(Protocol):
    """What `CachedGeocoder` needs: geopy's `geocode`, plus a name for the cache."""

    @property
    def source(self) -> str:
        """Identifies the geocoder and its data; cache entries are kept per source."""
        ...

    async def geocode(
        self, query: str, *, exactly_one: bool = True, limit: int | None = None
    ) -> Location | list[Location] | None: ...

    async def close(self) -> None: ...


class OfflineGeocoder:
    """The bundled gazetteer behind geopy's interface; no network, well under 1 ms."""

    def __init__(self, gazetteer: Gazetteer, data_version: str) -> None:
        self._gazetteer = gazetteer
        self.source = f"offline:{data_version}"

    async def geocode(
        self, query: str, *, exactly_one: bool = True, limit: int | None = None
    ) -> Location | list[Location] | None:
        places = self._gazetteer.search(query, limit=1 if exactly_one else (limit or MAX_RESULTS))
        locations = [
            Location(
                place.label,
                (place.latitude, place.longitude),
                {"country_code": place.country_code, "kind": place.kind, "name": place.name},
            )
            for place in places
        ]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None

    async def close(self) -> None:
        return None


class NominatimGeocoder:
    """geopy's Nominatim on its aiohttp adapter, at most one request a second per process."""

    def __init__(
        self,
        base_url: str,
        *,
        contact: str | None = None,
        timeout: float = NOMINATIM_TIMEOUT_SECONDS,
        min_delay_seconds: float = NOMINATIM_MIN_DELAY_SECONDS,
        queue_seconds: float = NOMINATIM_QUEUE_SECONDS,
    ) -> None:
        scheme, _, domain = base_url.partition("://")
        # aiohttp explicitly: geopy's default requests adapter retries on its own for
        # seconds, and would block the event loop besides.
        self._nominatim = Nominatim(
            scheme=scheme,
            domain=domain,
            # Nominatim's policy asks for an agent that identifies the application and
            # how to reach whoever runs it: this service's public URL.
            user_agent=f"{USER_AGENT} (+{contact})" if contact else USER_AGENT,
            timeout=timeout,
            adapter_factory=AioHTTPAdapter,
        )
        # One limiter per process, shared by every request: retries are ours to decide
        # (none: the caller gets 503 and may try again), and errors must not be swallowed.
        self._geocode: Callable[..., Coroutine[Any, Any, Any]] = AsyncRateLimiter(
            self._nominatim.geocode,
            min_delay_seconds=min_delay_seconds,
            max_retries=0,
            swallow_exceptions=False,
        )
        self.source = f"nominatim:{base_url}"
        self._deadline = queue_seconds + timeout

    async def geocode(
        self, query: str, *, exactly_one: bool = True, limit: int | None = None
    ) -> Location | list[Location] | None:
        try:
            async with asyncio.timeout(self._deadline):
                found = await self._geocode(
                    query,
                    exactly_one=False,
                    limit=1 if exactly_one else (limit or MAX_RESULTS),
                    addressdetails=True,
                    language="en",
                )
        except geopy_errors.GeocoderQueryError as error:
            # Nominatim answered 400: the query itself is unusable.
            raise Unprocessable(f"The geocoding service cannot look up {query!r}.") from error
        except geopy_errors.GeopyError as error:
            # Its timeout, connection failures, 5xx, 429, refusals of our user agent.
            log.warning("Nominatim failed: %s: %s", type(error).__name__, error)
            raise Unavailable(
                "The geocoding service is unavailable; try again in a minute."
            ) from error
        except TimeoutError:
            # Our deadline: too many lookups queued ahead of this one.
            raise Unavailable("The geocoding service is busy; try again in a minute.") from None
        locations = [_labelled(location) for location in found or [] if _has_point(location)]
        if exactly_one:
            return locations[0] if locations else None
        return locations or None

    async def close(self) -> None:
        await self._nominatim.__aexit__(None, None, None)


def _has_point(location: Location) -> bool:
    return location.latitude is not None and location.longitude is not None


def _labelled(location: Location) -> Location:
    """Nominatim's display_name lists every administrative level, down to the county and
    postcode; a label names the place, its first-level region and its country."""
    address = location.raw.get("address") or {}
    place = next(
        (
            address[key]
            for key in ("city", "town", "village", "hamlet", "municipality", "suburb")
            if address.get(key)
        ),
        None,
    )
    parts = [part for part in (place, address.get("state"), address.get("country")) if part]
    label = ", ".join(dict.fromkeys(parts)) or location.address
    raw = {**location.raw, "country_code": (address.get("country_code") or "").upper() or None}
    return Location(label, (location.latitude, location.longitude), raw)


def timezone_at(latitude: float, longitude: float) -> str | None:
    # tzfpy takes longitude first.
    name = tzfpy.get_tz(longitude, latitude)
    return name or None


def _result(location: Location) -> GeocodeResult:
    latitude, longitude = float(location.latitude), float(location.longitude)
    return GeocodeResult(
        label=str(location.address)[:LABEL_MAX],
        latitude=latitude,
        longitude=longitude,
        country_code=location.raw.get("country_code") or None,
        timezone=timezone_at(latitude, longitude),
    )


_RESULTS = msgspec.json.Decoder(list[GeocodeResult])


class CachedGeocoder:
    """Looks each normalised query up once, stores the answer (found or not) in the
    database, and serves it from there to every worker afterwards."""

    def __init__(self, geocoder: Geocoder) -> None:
        self.geocoder = geocoder
        # Within one process, concurrent first lookups of one query make one call.
        self._inflight = KeyedLock()

    async def search(self, text: str, limit: int = 5) -> list[GeocodeResult]:
        """Up to `limit` places for `text`, best first; [] when nothing matches."""
        key = normalise(text)
        if not key:
            return []
        cached = await self._cached(key)
        if cached is None:
            async with self._inflight(key):
                cached = await self._cached(key)
                if cached is None:
                    found = await self.geocoder.geocode(text, exactly_one=False, limit=MAX_RESULTS)
                    locations = found if isinstance(found, list) else [found] if found else []
                    cached = [_result(location) for location in locations]
                    await _store(self.geocoder.source, key, cached)
        return cached[:limit]

    async def resolve(self, text: str) -> GeocodeResult:
        """The best place for `text`, or 422 naming the text."""
        results = await self.search(text, 1)
        if not results:
            raise Unprocessable(f"Could not find a place called {text.strip()!r}.")
        return results[0]

    async def _cached(self, key: str) -> list[GeocodeResult] | None:
        row = await queries.cached(self.geocoder.source, key)
        if row is None:
            return None
        results = _RESULTS.decode(row["results"])
        ttl = queries.FOUND_TTL if results else queries.NOT_FOUND_TTL
        if datetime.now(UTC) - _aware(row["created_at"]) > ttl:
            return None
        return results

    async def close(self) -> None:
        await self.geocoder.close()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@transactional
async def _store(source: str, key: str, results: list[GeocodeResult]) -> None:
    await queries.store(source, key, msgspec.json.encode(results).decode(), datetime.now(UTC))


def data_version(payload: bytes) -> str:
    """A short digest of the gazetteer file: a rebuilt gazetteer starts a fresh cache."""
    return hashlib.sha256(payload).hexdigest()[:12]
