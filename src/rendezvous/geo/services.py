"""Geocoding for people and venues, and venue suggestions: who takes part, where they
are, and which real places suit them best."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import numpy as np
from litestar import Litestar
from litestar.datastructures import State

from rendezvous.core.db import Row
from rendezvous.core.errors import DomainError
from rendezvous.geo import meeting_point
from rendezvous.geo.gazetteer import DATA_FILE, Gazetteer, Towns
from rendezvous.geo.geocoder import (
    CachedGeocoder,
    Geocoder,
    NominatimGeocoder,
    OfflineGeocoder,
    data_version,
)
from rendezvous.geo.queries import event_participants, event_venue, group_participants
from rendezvous.geo.schemas import Distance, Point, Strategy, Suggestion, Suggestions
from rendezvous.settings import get_settings

# Places big enough to meet in: a station, a choice of cafés and somewhere to stay.
# 30,000 people keeps the Highlands' hubs (Inverness, Perth, Stirling) and drops villages.
MIN_TOWN_POPULATION = 30_000
# The objective grows with the distance from the optimum (convex within a hemisphere),
# so the best real places are among the nearest ones to it; ranking this many of them
# exactly keeps large groups fast.
CANDIDATE_TOWNS = 100
KM_DECIMALS = 1
DEGREE_DECIMALS = 5  # about a metre


# --- process-wide resources --------------------------------------------------------


def open_geocoder(gazetteer: Gazetteer) -> CachedGeocoder:
    """The configured geocoder, behind the cache; close it when done."""
    settings = get_settings()
    geocoder: Geocoder
    if settings.geocoder == "nominatim":
        geocoder = NominatimGeocoder(settings.nominatim_url, contact=settings.public_url)
    else:
        geocoder = OfflineGeocoder(gazetteer, data_version(DATA_FILE.read_bytes()))
    return CachedGeocoder(geocoder)


@dataclass(frozen=True, slots=True)
class MeetingPlaces:
    """The towns suggestions are drawn from, indexed once per worker rather than on
    every request."""

    towns: Towns
    index: meeting_point.PlaceIndex

    @classmethod
    def from_gazetteer(cls, gazetteer: Gazetteer) -> MeetingPlaces:
        towns = gazetteer.towns(MIN_TOWN_POPULATION)
        return cls(towns, meeting_point.PlaceIndex(towns.latitudes, towns.longitudes))


@asynccontextmanager
async def geocoding(app: Litestar) -> AsyncIterator[None]:
    """Load the gazetteer (always: it supplies the candidate meeting places) and start
    the configured geocoder, once per worker."""
    gazetteer = Gazetteer.load()
    app.state.meeting_places = MeetingPlaces.from_gazetteer(gazetteer)
    app.state.geocoder = open_geocoder(gazetteer)
    try:
        yield
    finally:
        await app.state.geocoder.close()


def provide_geocoder(state: State) -> CachedGeocoder:
    geocoder: CachedGeocoder = state.geocoder
    return geocoder


def provide_meeting_places(state: State) -> MeetingPlaces:
    places: MeetingPlaces = state.meeting_places
    return places


# --- venues --------------------------------------------------------------------------


async def locate_venue(
    geocoder: CachedGeocoder, name: str, address: str | None
) -> tuple[float, float] | None:
    """Best effort: a venue is often a pub or a park that no gazetteer knows, and an
    event must not fail to save because of it, so a miss (or an unavailable geocoder)
    simply leaves the venue without coordinates."""
    for text in (address, name):
        if not text:
            continue
        try:
            results = await geocoder.search(text, 1)
        except DomainError:
            return None
        if results:
            return results[0].latitude, results[0].longitude
    return None


# --- suggestions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Venue:
    name: str
    label: str
    latitude: float
    longitude: float

    @property
    def point(self) -> tuple[float, float]:
        return self.latitude, self.longitude


async def suggest_for_event(
    event_id: int, group_id: int, strategy: Strategy, limit: int, places: MeetingPlaces
) -> Suggestions:
    rows = await event_participants(event_id, group_id)
    # Those who said they may come; everyone while nobody has answered yet.
    coming = [row for row in rows if row["status"] in ("yes", "maybe")]
    venue = await event_venue(event_id)
    return await _suggest(coming or rows, strategy, limit, places, venue)


async def suggest_for_group(
    group_id: int, strategy: Strategy, limit: int, places: MeetingPlaces
) -> Suggestions:
    rows = await group_participants(group_id)
    return await _suggest(rows, strategy, limit, places, None)


async def _suggest(
    rows: list[Row],
    strategy: Strategy,
    limit: int,
    places: MeetingPlaces,
    venue_row: Row | None,
) -> Suggestions:
    venue = None
    if venue_row and venue_row["venue_latitude"] is not None:
        address = venue_row["venue_address"]
        venue = Venue(
            name=venue_row["venue_name"],
            label=f"{venue_row['venue_name']}, {address}" if address else venue_row["venue_name"],
            latitude=venue_row["venue_latitude"],
            longitude=venue_row["venue_longitude"],
        )
    # numpy releases the GIL for the heavy parts; a thread keeps the event loop free
    # while a large group is solved.
    return await anyio.to_thread.run_sync(suggest, rows, strategy, limit, places, venue)


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
    # Members of one town share its coordinates: solve for each place once, weighted.
    # (As complex numbers, unique is a plain 1-D sort: much faster than rows.)
    points, counts = np.unique(latitudes + 1j * longitudes, return_counts=True)
    point_lats, point_lons = points.real, points.imag
    if strategy == "total":
        centre = meeting_point.geometric_median(point_lats, point_lons, counts.astype(np.float64))
    else:
        centre = meeting_point.minimax_centre(point_lats, point_lons)

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
        point_lats, point_lons, counts.astype(np.float64), place_lats, place_lons, strategy
    )
    suggestions = []
    for index in ranking.order[:limit]:
        # Rounded in numpy: Python's round() over thousands of members costs more than
        # the maths.
        km = np.round(
            meeting_point.distances_km(
                float(place_lats[index]), float(place_lons[index]), latitudes, longitudes
            ),
            KM_DECIMALS,
        ).tolist()
        suggestions.append(
            Suggestion(
                name=names[index],
                label=labels[index],
                kind=kinds[index],
                country_code=countries[index],
                latitude=round(float(place_lats[index]), DEGREE_DECIMALS),
                longitude=round(float(place_lons[index]), DEGREE_DECIMALS),
                total_km=round(float(ranking.total_km[index]), KM_DECIMALS),
                max_km=round(float(ranking.max_km[index]), KM_DECIMALS),
                distances=[
                    Distance(user_id=user_id, km=d) for user_id, d in zip(user_ids, km, strict=True)
                ],
            )
        )
    return Suggestions(
        strategy=strategy,
        center=Point(
            latitude=round(centre.latitude, DEGREE_DECIMALS),
            longitude=round(centre.longitude, DEGREE_DECIMALS),
        ),
        participants=len(located),
        unlocated=unlocated,
        within_hemisphere=centre.within_hemisphere,
        suggestions=suggestions,
    )
