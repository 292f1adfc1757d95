"""The offline geocoder speaks geopy's interface."""

from __future__ import annotations

import pytest
from geopy.location import Location

from rendezvous.geo.gazetteer import Gazetteer
from rendezvous.geo.geocoder import OfflineGeocoder, timezone_at


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    return OfflineGeocoder(Gazetteer.load(), "test")


async def test_exactly_one_gives_a_location(geocoder: OfflineGeocoder) -> None:
    leeds = await geocoder.geocode("Leeds, UK")
    assert isinstance(leeds, Location)
    assert leeds.address == "Leeds, England, United Kingdom"
    assert leeds.raw["country_code"] == "GB"
    assert abs(leeds.latitude - 53.80) < 0.05 and abs(leeds.longitude + 1.55) < 0.05


async def test_several_give_a_list_best_first(geocoder: OfflineGeocoder) -> None:
    places = await geocoder.geocode("Cambridge", exactly_one=False, limit=3)
    assert isinstance(places, list) and 1 < len(places) <= 3
    assert places[0].raw["country_code"] == "GB"  # the most populous Cambridge first


async def test_nothing_found_is_none(geocoder: OfflineGeocoder) -> None:
    assert await geocoder.geocode("Xyzzyville") is None
    assert await geocoder.geocode("Xyzzyville", exactly_one=False) is None
    assert geocoder.source == "offline:test"


@pytest.mark.parametrize(
    ("latitude", "longitude", "zone"),
    [
        (53.80, -1.55, "Europe/London"),
        (45.52, -122.68, "America/Los_Angeles"),  # longitude first in tzfpy: not swapped
        (-33.87, 151.21, "Australia/Sydney"),
        (28.61, 77.21, "Asia/Kolkata"),
    ],
)
def test_time_zones_come_from_the_coordinates(latitude: float, longitude: float, zone: str) -> None:
    assert timezone_at(latitude, longitude) == zone
