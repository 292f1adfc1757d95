"""What the slices below `geo` need of geocoding: a place found from text.

People's regions (accounts) and venues (events) are geocoded, but the geocoders, their
cache and the gazetteer live in the geo slice, which builds on events. So those slices
ask for this interface, and the app provides geo's `CachedGeocoder` as the `geocoder`
dependency.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from rendezvous.core.schemas import ResponseBody


class GeocodeResult(ResponseBody):
    label: str
    latitude: float
    longitude: float
    country_code: str | None
    timezone: str | None


@runtime_checkable
class Geocoder(Protocol):
    async def search(self, text: str, limit: int = 5) -> list[GeocodeResult]:
        """Up to `limit` places for `text`, best first; [] when nothing matches."""
        ...

    async def resolve(self, text: str) -> GeocodeResult:
        """The best place for `text`; Unprocessable (422) naming the text if none."""
        ...
