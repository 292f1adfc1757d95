"""Venue suggestions: who takes part, where they are and which real places suit them
best. Each worker keeps its encoded answers in WorkerCaches.venue_answers, keyed by
everything an answer depends on (core.freshness)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import anyio
import msgspec
import numpy as np

from rendezvous.core.errors import NotFound
from rendezvous.core.freshness import WorkerCaches
from rendezvous.events import queries as events
from rendezvous.geo import meeting_point
from rendezvous.geo.gazetteer import Gazetteer, Towns
from rendezvous.geo.schemas import Distance, Point, Strategy, Suggestion, Suggestions
from rendezvous.groups import queries as groups

# Places big enough to meet in: a station, a choice of cafés and somewhere to stay.
# 30,000 people keeps the Highlands' hubs (Inverness, Perth, Stirling) and drops villages.
MIN_TOWN_POPULATION = 30_000
# The objective grows with the distance from the optimum (convex within a hemisphere),
# so the best real places are among the nearest ones to it; ranking this many of them
# exactly keeps large groups fast.
CANDIDATE_TOWNS = 100
KM_DECIMALS = 1
DEGREE_DECIMALS = 5  # about a metre


@dataclass(frozen=True, slots=True, eq=False)
class MeetingPlaces:
    """The towns suggestions are drawn from, indexed once per worker rather than on
    every request."""

    towns: Towns
    index: meeting_point.PlaceIndex

    @classmethod
    def from_gazetteer(cls, gazetteer: Gazetteer) -> MeetingPlaces:
        towns = gazetteer.towns(MIN_TOWN_POPULATION)
        return cls(towns, meeting_point.PlaceIndex(towns.latitudes, towns.longitudes))


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


def _venue(row: dict[str, Any]) -> Venue | None:
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


# The revisions are read before the participants: an answer is at least as new as the key
# it is kept under, so a change committed in between makes it a little early, never stale.


async def suggest_for_event(
    event_id: int, strategy: Strategy, limit: int, places: MeetingPlaces, caches: WorkerCaches
) -> bytes:
    """The encoded Suggestions for the members who said yes or maybe (everyone while
    nobody has), the event's own venue competing with the towns."""
    event = await events.event_row(event_id)
    group = await groups.group_state(event["group"]) if event is not None else None
    if event is None or group is None:
        raise NotFound("Event not found")
    key = (
        "event",
        event_id,
        event["ical_uid"],
        event["revision"],
        group["created_at"],
        group["revision"],
        strategy,
        limit,
    )

    async def compute() -> bytes:
        members = await groups.member_places(event["group"])
        answers = await events.answers(event_id)
        coming = [
            m for m in members if answers.get(m["user_id"], {}).get("status") in ("yes", "maybe")
        ]
        return await _encoded(coming or members, strategy, limit, places, _venue(event))

    return await caches.venue_answers.get_or_compute(key, compute)


async def suggest_for_group(
    group_id: int, strategy: Strategy, limit: int, places: MeetingPlaces, caches: WorkerCaches
) -> bytes:
    """The encoded Suggestions for all the group's members."""
    group = await groups.group_state(group_id)
    if group is None:
        raise NotFound("Group not found")
    key = ("group", group_id, group["created_at"], group["revision"], strategy, limit)

    async def compute() -> bytes:
        members = await groups.member_places(group_id)
        return await _encoded(members, strategy, limit, places, None)

    return await caches.venue_answers.get_or_compute(key, compute)


async def _encoded(
    rows: list[dict[str, Any]],
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
    rows: list[dict[str, Any]],
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
