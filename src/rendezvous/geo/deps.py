"""The geo slice's per-worker resources and their providers: the gazetteer, the geocoder
behind its cache, and the towns venue suggestions are drawn from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from rendezvous.geo.gazetteer import DATA_FILE, Gazetteer
from rendezvous.geo.geocoder import (
    CachedGeocoder,
    Geocoder,
    NominatimGeocoder,
    OfflineGeocoder,
    data_version,
)
from rendezvous.geo.planning import TravelRanking
from rendezvous.geo.suggestions import MeetingPlaces
from rendezvous.settings import get_settings


def open_geocoder(gazetteer: Gazetteer) -> CachedGeocoder:
    """The configured geocoder, behind the cache; close it when done."""
    settings = get_settings()
    geocoder: Geocoder
    if settings.geocoder == "nominatim":
        geocoder = NominatimGeocoder(settings.nominatim_url, contact=settings.public_url)
    else:
        geocoder = OfflineGeocoder(gazetteer, data_version(DATA_FILE.read_bytes()))
    return CachedGeocoder(geocoder)


@asynccontextmanager
async def geocoding(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: load the gazetteer (always: it supplies the candidate meeting places) and
    start the configured geocoder, once per worker."""
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


def provide_travel() -> TravelRanking:
    return TravelRanking()


def provide_meeting_places(state: State) -> MeetingPlaces:
    places: MeetingPlaces = state.meeting_places
    return places
