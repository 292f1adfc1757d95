"""What the slices below `geo` need of it: a place found from text, and places ordered
by how far people travel to them.

People's regions (accounts) and venues (events) are geocoded, but the geocoders, their
cache and the gazetteer live in the geo slice, which builds on events. So those slices
ask for these interfaces, and the app provides geo's `CachedGeocoder` as the `geocoder`
dependency and geo's travel ranking as `travel`.
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


@runtime_checkable
class Travel(Protocol):
    async def least_total(self, event_id: int, option_id: int, place_ids: list[int]) -> list[int]:
        """`place_ids` (place options of the event) ordered by the least total travel of
        the located members who voted yes on time option `option_id`; ties, and places
        without coordinates (last), keep the given order."""
        ...
