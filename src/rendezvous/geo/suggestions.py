"""Venue suggestions: who takes part, where they are and which real places suit them
best; and each worker's cache of its answers, kept by everything an answer depends on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

import anyio
import msgspec
import numpy as np

from rendezvous.core.db import Row
from rendezvous.core.errors import NotFound
from rendezvous.core.locks import KeyedLock
from rendezvous.core.lru import Lru
from rendezvous.geo import meeting_point
from rendezvous.geo.gazetteer import Gazetteer, Towns
from rendezvous.geo.queries import (
    event_participants,
    event_state,
    group_participants,
    group_state,
)
from rendezvous.geo.schemas import Distance, Point, Strategy, Suggestion, Suggestions

# Places big enough to meet in: a station, a choice of cafés and somewhere to stay.
# 30,000 people keeps the Highlands' hubs (Inverness, Perth, Stirling) and drops villages.
MIN_TOWN_POPULATION = 30_000
# The objective grows with the distance from the optimum (convex within a hemisphere),
# so the best real places are among the nearest ones to it; ranking this many of them
# exactly keeps large groups fast.
CANDIDATE_TOWNS = 100
KM_DECIMALS = 1
DEGREE_DECIMALS = 5  # about a metre
# An answer for 2,000 members and 5 places is about 280 KB: room for a couple of
# hundred large groups per worker, and many more small ones.
ANSWER_CACHE_BYTES = 64 * 1024 * 1024


# --- the worker's answers ------------------------------------------------------------


class AnswerCache(Lru[Hashable, bytes]):
    """Encoded answers by key, within a byte budget. Only the event loop uses it. Keys
    hold every input of an answer, so an entry is never wrong, only unused once its
    inputs change; losing it costs one computation."""

    def __init__(self, max_bytes: int = ANSWER_CACHE_BYTES) -> None:
        super().__init__(max_weight=max_bytes, weigh=len)
        # Requests that miss one key together wait for one computation of it.
        self.computing = KeyedLock()


@dataclass(frozen=True, slots=True, eq=False)
class MeetingPlaces:
    """The towns suggestions are drawn from, indexed once per worker rather than on
    every request, and the answers computed from them (which hold as long as they do)."""

    towns: Towns
    index: meeting_point.PlaceIndex
    answers: AnswerCache = field(default_factory=AnswerCache)

    @classmethod
    def from_gazetteer(cls, gazetteer: Gazetteer) -> MeetingPlaces:
        towns = gazetteer.towns(MIN_TOWN_POPULATION)
        return cls(towns, meeting_point.PlaceIndex(towns.latitudes, towns.longitudes))


async def _answer(
    cache: AnswerCache, key: Hashable, compute: Callable[[], Awaitable[bytes]]
) -> bytes:
    content = cache.get(key)
    if content is None:
        async with cache.computing(key):
            content = cache.get(key)  # perhaps computed by the request this one waited for
            if content is None:
                content = await compute()
                cache.put(key, content)
    return content


# --- who, and which venue ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    label: str
    latitude: float
    longitude: float

    @property
    def point(self) -> tuple[float, float]:
        return self.latitude, self.longitude


def _venue(row: Row) -> Venue | None:
    """The event's venue as a candidate place: only once it has coordinates."""
    if row["venue_latitude"] is None or row["venue_longitude"] is None:
        return None
    name, address = row["venue_name"], row["venue_address"]
    return Venue(
        name=name,
        label=f"{name}, {address}" if address else name,
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )


# The state is read before the participants: an answer is at least as new as the key it
# is kept under, so a change committed in between makes it a little early, never stale.


async def suggest_for_event(
    event_id: int, strategy: Strategy, limit: int, places: MeetingPlaces
) -> bytes:
    """The encoded Suggestions for the members who said yes or maybe (everyone while
    nobody has), the event's own venue competing with the towns."""
    state = await event_state(event_id)
    if state is None:
        raise NotFound("Event not found")
    venue = _venue(state)
    key = (
        "event",
        event_id,
        state["ical_uid"],
        state["revision"],
        state["group_created_at"],
        state["group_revision"],
        strategy,
        limit,
    )

    async def compute() -> bytes:
        rows = await event_participants(event_id, state["group"])
        coming = [row for row in rows if row["status"] in ("yes", "maybe")]
        return await _encoded(coming or rows, strategy, limit, places, venue)

    return await _answer(places.answers, key, compute)


async def suggest_for_group(
    group_id: int, strategy: Strategy, limit: int, places: MeetingPlaces
) -> bytes:
    """The encoded Suggestions for all the group's members."""
    state = await group_state(group_id)
    if state is None:
        raise NotFound("Group not found")
    key = ("group", group_id, state["created_at"], state["revision"], strategy, limit)

    async def compute() -> bytes:
        rows = await group_participants(group_id)
        return await _encoded(rows, strategy, limit, places, None)

    return await _answer(places.answers, key, compute)


async def _encoded(
    rows: list[Row],
    strategy: Strategy,
    limit: int,
    places: MeetingPlaces,
    venue: Venue | None,
) -> bytes:
    def work() -> bytes:
        return msgspec.json.encode(suggest(rows, strategy, limit, places, venue))

    # numpy releases the GIL for the heavy parts; a thread keeps the event loop free
    # while a large group is solved.
    return await anyio.to_thread.run_sync(work)


# --- the answer ----------------------------------------------------------------------


def suggest(
    rows: list[Row],
    strategy: Strategy,
    limit: int,
    places: MeetingPlaces,
    venue: Venue | None,
) -> Suggestions:
    """Rank real places for the located participants; `rows` hold user_id, latitude and
    longitude (null when the member's region is not resolved)."""
    located = [row for row in rows if row["latitude"] is not None]
    unlocated = [row["user_id"] for row in rows if row["latitude"] is None]
    if not located:
        return Suggestions(
            strategy=strategy,
            center=None,
            participants=0,
            unlocated=unlocated,
            within_hemisphere=True,
            suggestions=[],
        )
    user_ids = [row["user_id"] for row in located]
    latitudes = np.array([row["latitude"] for row in located], dtype=np.float64)
    longitudes = np.array([row["longitude"] for row in located], dtype=np.float64)
    # Members of one town share its coordinates: everything below is worked out once per
    # distinct home, weighted by how many live there. (As complex numbers, unique is a
    # plain 1-D sort: much faster than rows.)
    homes, home_of, counts = np.unique(
        latitudes + 1j * longitudes, return_inverse=True, return_counts=True
    )
    home_lats, home_lons, weights = homes.real, homes.imag, counts.astype(np.float64)
    if strategy == "total":
        centre = meeting_point.geometric_median(home_lats, home_lons, weights)
    else:
        centre = meeting_point.minimax_centre(home_lats, home_lons)

    towns = places.towns
    nearby = places.index.nearest(centre.latitude, centre.longitude, CANDIDATE_TOWNS)
    names = [towns.names[i] for i in nearby]
    labels = [towns.labels[i] for i in nearby]
    countries: list[str | None] = [towns.country_codes[i] for i in nearby]
    kinds = ["town"] * len(nearby)
    place_lats = towns.latitudes[nearby]
    place_lons = towns.longitudes[nearby]
    if venue is not None:
        names.append(venue.name)
        labels.append(venue.label)
        # Venues carry no country: take the nearest town's.
        countries.append(towns.country_codes[int(places.index.nearest(*venue.point, 1)[0])])
        kinds.append("venue")
        place_lats = np.append(place_lats, venue.latitude)
        place_lons = np.append(place_lons, venue.longitude)

    ranking = meeting_point.rank_places(
        home_lats, home_lons, weights, place_lats, place_lons, strategy
    )
    best = ranking.order[:limit]
    # Each member's distances are their home's, taken from one matrix of the best places
    # by the distinct homes, and rounded in numpy: Python's round() over thousands of
    # members costs more than the maths.
    km = np.round(
        meeting_point.distance_matrix_km(place_lats[best], place_lons[best], home_lats, home_lons),
        KM_DECIMALS,
    )[:, home_of]
    suggestions = [
        Suggestion(
            name=names[index],
            label=labels[index],
            kind=kinds[index],
            country_code=countries[index],
            latitude=round(float(place_lats[index]), DEGREE_DECIMALS),
            longitude=round(float(place_lons[index]), DEGREE_DECIMALS),
            total_km=round(float(ranking.total_km[index]), KM_DECIMALS),
            max_km=round(float(ranking.max_km[index]), KM_DECIMALS),
            distances=list(map(Distance, user_ids, member_km)),
        )
        for index, member_km in zip(best.tolist(), km.tolist(), strict=True)
    ]
    return Suggestions(
        strategy=strategy,
        center=Point(
            latitude=round(float(centre.latitude), DEGREE_DECIMALS),
            longitude=round(float(centre.longitude), DEGREE_DECIMALS),
        ),
        participants=len(located),
        unlocated=unlocated,
        within_hemisphere=centre.within_hemisphere,
        suggestions=suggestions,
    )
