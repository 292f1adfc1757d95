"""Geocoding for people and venues, and the per-worker resources that geocoding and venue
suggestions (geo.suggestions) share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from rendezvous.core.errors import DomainError
from rendezvous.geo.gazetteer import DATA_FILE, Gazetteer
from rendezvous.geo.geocoder import (
    CachedGeocoder,
    Geocoder,
    NominatimGeocoder,
    OfflineGeocoder,
    data_version,
)
from rendezvous.geo.suggestions import MeetingPlaces
from rendezvous.settings import get_settings

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


@asynccontextmanager
async def geocoding(app: Litestar) -> AsyncIterator[None]:
    """Load the gazetteer (always: it supplies the candidate meeting places, beside which
    the worker keeps its venue suggestions) and start the configured geocoder, once per
    worker."""
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
