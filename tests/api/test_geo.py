"""Regions, geocoding previews and venue suggestions through HTTP (offline gazetteer)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from litestar import Litestar

from rendezvous.accounts.tables import User
from rendezvous.geo.geocoder import CachedGeocoder
from tests.helpers import Api, Person, assert_error, propose, rsvp

EARTH_KM = 6371.0088


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def grid_optimum(homes: list[tuple[float, float]], objective: str) -> float:
    """Brute force: the objective's minimum over a fine grid around the homes."""
    lats = np.radians([home[0] for home in homes])[:, None]
    lons = np.radians([home[1] for home in homes])[:, None]
    grid_lat = np.radians(np.arange(49.0, 59.0, 0.02))
    grid_lon = np.radians(np.arange(-7.0, 3.0, 0.02))
    glat, glon = (g.ravel()[None, :] for g in np.meshgrid(grid_lat, grid_lon))
    h = (
        np.sin((glat - lats) / 2) ** 2
        + np.cos(lats) * np.cos(glat) * np.sin((glon - lons) / 2) ** 2
    )
    km = 2 * EARTH_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    values = km.sum(axis=0) if objective == "total" else km.max(axis=0)
    return float(values.min())


async def me(api: Api, person: Person) -> dict[str, Any]:
    response = await api.get("/me", person)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- regions ---------------------------------------------------------------------------


async def test_signing_up_with_a_region_geocodes_it(api: Api) -> None:
    response = await api.post("/users", json={"name": "Alison", "region": "Leeds, UK"})
    assert response.status_code == 201, response.text
    user = response.json()["user"]
    assert user["region"] == "Leeds, UK"
    assert user["region_label"] == "Leeds, England, United Kingdom"
    assert user["timezone"] == "Europe/London"
    # A time zone given explicitly is kept.
    response = await api.post(
        "/users", json={"name": "Bo", "region": "Leeds", "timezone": "Asia/Tokyo"}
    )
    assert response.json()["user"]["timezone"] == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("region", "label_start", "timezone"),
    [
        ("München", "Munich", "Europe/Berlin"),
        ("  munich , germany ", "Munich", "Europe/Berlin"),
        ("Portland, OR", "Portland, Oregon", "America/Los_Angeles"),
        ("Cambridge, MA", "Cambridge, Massachusetts", "America/New_York"),
        ("Bavaria", "Bavaria", "Europe/Berlin"),
        ("Scotland", "Scotland", "Europe/London"),
        ("Japan", "Japan", "Asia/Tokyo"),
        ("Sydney", "Sydney", "Australia/Sydney"),
    ],
)
async def test_a_new_region_brings_its_label_and_time_zone(
    api: Api, region: str, label_start: str, timezone: str
) -> None:
    ann = await api.signup("Ann", region="Leeds, UK")
    response = await api.patch("/me", ann, json={"region": region})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] == region
    assert body["region_label"].startswith(label_start), body
    assert body["timezone"] == timezone


async def test_a_time_zone_sent_with_the_region_wins(api: Api) -> None:
    ann = await api.signup("Ann")
    response = await api.patch("/me", ann, json={"region": "Tokyo", "timezone": "Europe/London"})
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Europe/London"
    assert response.json()["region_label"].startswith("Tokyo")


async def test_an_unknown_region_is_refused_and_nothing_changes(api: Api) -> None:
    ann = await api.signup("Ann", region="Leeds, UK", email="ann@example.org")
    before = await me(api, ann)
    response = await api.patch(
        "/me", ann, json={"region": "Xyzzyville", "name": "Renamed", "timezone": "Asia/Tokyo"}
    )
    assert_error(response, 422, "Xyzzyville")
    assert await me(api, ann) == before
    users_before = await User.count()
    response = await api.post("/users", json={"name": "Zed", "region": "Qwzxv Fjord"})
    assert_error(response, 422, "Qwzxv Fjord")
    assert await User.count() == users_before


async def test_clearing_the_region_clears_its_label_and_location(api: Api) -> None:
    ann = await api.signup("Ann", region="Leeds, UK")
    response = await api.patch("/me", ann, json={"region": None})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"] is None and body["region_label"] is None
    assert body["timezone"] == "Europe/London"  # a time zone stays until changed
    row = await User.select(User.latitude, User.longitude).where(User.id == ann.id).first()
    assert row == {"latitude": None, "longitude": None}


async def test_no_response_reveals_coordinates(api: Api) -> None:
    """Coordinates stay on the server: labels only, for oneself and for others."""
    ann = await api.signup("Ann", region="Leeds, UK")
    bob = await api.signup("Bob", region="Cardiff, UK")
    group_id = await api.group(ann)
    await api.join(group_id, ann, bob)
    rows = await User.select(User.latitude, User.longitude)
    secrets = {f"{row[key]}"[:6] for row in rows for key in ("latitude", "longitude")}
    for response in (
        await api.get("/me", bob),
        await api.patch("/me", bob, json={"region": "Cardiff"}),
        await api.get(f"/groups/{group_id}", bob),
        await api.get("/groups", bob),
    ):
        assert response.status_code == 200, response.text
        text = response.text
        assert "latitude" not in text and "longitude" not in text, text
        assert not any(secret in text for secret in secrets), text
    members = (await api.get(f"/groups/{group_id}", bob)).json()["members"]
    assert {m["region_label"] for m in members} == {
        "Leeds, England, United Kingdom",
        "Cardiff, Wales, United Kingdom",
    }


# --- the geocoding preview ------------------------------------------------------------


async def test_geocode_previews_a_region(api: Api) -> None:
    ann = await api.signup("Ann")
    response = await api.get("/geocode", ann, params={"q": "Paris"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results[0]["country_code"] == "FR"
    assert results[0]["timezone"] == "Europe/Paris"
    assert km_between((results[0]["latitude"], results[0]["longitude"]), (48.857, 2.352)) < 15
    texas = (await api.get("/geocode", ann, params={"q": "Paris, TX"})).json()["results"][0]
    assert texas["country_code"] == "US" and texas["timezone"] == "America/Chicago"
    one = await api.get("/geocode", ann, params={"q": "Paris", "limit": 1})
    assert len(one.json()["results"]) == 1
    nothing = await api.get("/geocode", ann, params={"q": "Xyzzyville"})
    assert nothing.status_code == 200 and nothing.json() == {"results": []}


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}, {"q": "Leeds", "limit": 0}]
)
async def test_geocode_refuses_bad_queries(api: Api, params: dict[str, Any]) -> None:
    ann = await api.signup("Ann")
    assert_error(await api.get("/geocode", ann, params=params), 400)


async def test_geocode_needs_a_token(api: Api) -> None:
    assert_error(await api.get("/geocode", params={"q": "Leeds"}), 401)


async def test_a_region_is_geocoded_once_however_many_share_it(app: Litestar, api: Api) -> None:
    cached: CachedGeocoder = app.state.geocoder
    calls: list[str] = []
    inner = cached.geocoder

    class Counting:
        source = inner.source

        async def geocode(self, query: str, **kwargs: Any) -> Any:
            calls.append(query)
            return await inner.geocode(query, **kwargs)

        async def close(self) -> None:
            pass

    cached.geocoder = Counting()
    try:
        await api.signup("Ann", region="Norwich, UK")
        await api.signup("Bob", region="  NORWICH, uk ")
        carol = await api.signup("Carol")
        await api.patch("/me", carol, json={"region": "norwich,UK"})
        await api.get("/geocode", carol, params={"q": "Norwich, UK"})
    finally:
        cached.geocoder = inner
    assert calls == ["Norwich, UK"]


# --- venue suggestions ----------------------------------------------------------------

UK_HOMES = {
    "Alison": ("Leeds, UK", (53.7965, -1.5478)),
    "Bronwen": ("Cardiff, UK", (51.4800, -3.1800)),
    "Catriona": ("Glasgow, UK", (55.8652, -4.2576)),
    "Deborah": ("Norwich, UK", (52.6278, 1.2983)),
    "Eilidh": ("Plymouth, UK", (50.3715, -4.1427)),
    "Fiona": ("Newcastle upon Tyne", (54.9733, -1.6140)),
}


async def uk_group(api: Api) -> tuple[int, dict[str, Person]]:
    people = {name: await api.signup(name, region=region) for name, (region, _) in UK_HOMES.items()}
    owner = people["Alison"]
    group_id = await api.group(owner)
    await api.join(group_id, owner, *(p for name, p in people.items() if name != "Alison"))
    return group_id, people


@pytest.mark.parametrize("strategy", ["total", "fair"])
async def test_a_uk_group_gets_real_places_near_the_optimum(api: Api, strategy: str) -> None:
    group_id, people = await uk_group(api)
    newcomer = await api.signup("Gwen")  # no region: listed, not placed
    await api.join(group_id, people["Alison"], newcomer)
    response = await api.get(
        f"/groups/{group_id}/venue-suggestions",
        people["Deborah"],
        params={"strategy": strategy, "limit": 5},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["strategy"] == strategy
    assert body["participants"] == 6 and body["unlocated"] == [newcomer.id]
    assert body["within_hemisphere"] is True
    suggestions = body["suggestions"]
    assert len(suggestions) == 5
    key = "total_km" if strategy == "total" else "max_km"
    assert [s[key] for s in suggestions] == sorted(s[key] for s in suggestions)
    for suggestion in suggestions:
        assert suggestion["country_code"] == "GB" and suggestion["kind"] == "town"
        assert len(suggestion["distances"]) == 6
        kms = [d["km"] for d in suggestion["distances"]]
        assert suggestion["total_km"] == pytest.approx(sum(kms), abs=0.5)
        assert suggestion["max_km"] == pytest.approx(max(kms), abs=0.05)
        # Each distance is the great-circle distance from that member's town.
        place = (suggestion["latitude"], suggestion["longitude"])
        for distance in suggestion["distances"]:
            name = next(n for n, p in people.items() if p.id == distance["user_id"])
            assert distance["km"] == pytest.approx(km_between(place, UK_HOMES[name][1]), abs=3)
    # The best real place is within a few percent of the true optimum (brute force).
    optimum = grid_optimum([home for _, home in UK_HOMES.values()], strategy)
    assert suggestions[0][key] <= optimum * 1.05, (suggestions[0], optimum)
    centre = body["center"]
    assert 52 < centre["latitude"] < 55 and -3.5 < centre["longitude"] < 0


async def test_event_suggestions_follow_the_rsvps(api: Api) -> None:
    group_id, people = await uk_group(api)
    event = await propose(api, group_id, people["Alison"])
    path = f"/events/{event['id']}/venue-suggestions"
    everyone = (await api.get(path, people["Fiona"])).json()
    assert everyone["participants"] == 6  # nobody has answered: all members count
    # Only the Glaswegian and the Geordie are coming; Alison cannot make it.
    await rsvp(api, event["id"], people["Catriona"], "yes")
    await rsvp(api, event["id"], people["Fiona"], "maybe")
    await rsvp(api, event["id"], people["Alison"], "no")
    total = (await api.get(path, people["Fiona"])).json()
    assert total["participants"] == 2
    ids = {d["user_id"] for d in total["suggestions"][0]["distances"]}
    assert ids == {people["Catriona"].id, people["Fiona"].id}
    apart = km_between(UK_HOMES["Catriona"][1], UK_HOMES["Fiona"][1])
    # For two people every place on the way is optimal in total travel; the centre
    # given is the fairest of them, the midpoint.
    assert total["suggestions"][0]["total_km"] == pytest.approx(apart, rel=0.01)
    centre = (total["center"]["latitude"], total["center"]["longitude"])
    assert km_between(centre, UK_HOMES["Catriona"][1]) == pytest.approx(apart / 2, abs=1)
    fair = (await api.get(path, people["Fiona"], params={"strategy": "fair"})).json()
    best = fair["suggestions"][0]
    assert best["name"] not in ("Glasgow", "Newcastle upon Tyne"), best
    assert best["max_km"] < 0.75 * apart, best
    assert fair["center"] == pytest.approx(total["center"], abs=0.01)


async def test_the_events_own_venue_competes_with_the_towns(api: Api) -> None:
    group_id, people = await uk_group(api)
    event = await propose(api, group_id, people["Alison"])
    await rsvp(api, event["id"], people["Catriona"], "yes")
    await rsvp(api, event["id"], people["Fiona"], "yes")
    path = f"/events/{event['id']}/venue-suggestions"
    before = (await api.get(path, people["Eilidh"], params={"strategy": "fair"})).json()
    assert all(s["kind"] == "town" for s in before["suggestions"])
    # A venue at the fairest point itself, halfway along the road: no town can beat it.
    venue = {"name": "The Midpoint Inn", **before["center"]}
    response = await api.patch(f"/events/{event['id']}", people["Alison"], json={"venue": venue})
    assert response.status_code == 200, response.text
    assert response.json()["venue"]["latitude"] == venue["latitude"]
    after = (await api.get(path, people["Eilidh"], params={"strategy": "fair"})).json()
    best = after["suggestions"][0]
    assert best["kind"] == "venue" and best["name"] == "The Midpoint Inn"
    assert best["country_code"] == "GB"
    assert best["max_km"] < before["suggestions"][0]["max_km"]


async def test_a_venue_address_is_geocoded_when_possible(api: Api) -> None:
    group_id, people = await uk_group(api)
    ann = people["Alison"]
    event = await propose(api, group_id, ann, venue={"name": "Town hall", "address": "Leeds"})
    venue = event["venue"]
    assert km_between((venue["latitude"], venue["longitude"]), UK_HOMES["Alison"][1]) < 10
    # A venue nobody knows keeps no coordinates, and the edit still succeeds.
    response = await api.patch(
        f"/events/{event['id']}", ann, json={"venue": {"name": "Our usual Zxqwv café"}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["venue"] == {
        "name": "Our usual Zxqwv café",
        "address": None,
        "latitude": None,
        "longitude": None,
    }
    assert response.json()["sequence"] == event["sequence"] + 1
    half = {"name": "Half", "latitude": 53.0}
    response = await api.patch(f"/events/{event['id']}", ann, json={"venue": half})
    assert_error(response, 400, "longitude")


@pytest.mark.parametrize(
    "params",
    [{"strategy": "median"}, {"limit": 0}, {"limit": 21}, {"limit": "x"}],
)
async def test_suggestions_refuse_bad_parameters(api: Api, params: dict[str, Any]) -> None:
    group_id, people = await uk_group(api)
    response = await api.get(
        f"/groups/{group_id}/venue-suggestions", people["Alison"], params=params
    )
    assert_error(response, 400)


async def test_outsiders_see_no_suggestions(api: Api) -> None:
    group_id, people = await uk_group(api)
    event = await propose(api, group_id, people["Alison"])
    outsider = await api.signup("Otto", region="Leeds")
    for path in (
        f"/groups/{group_id}/venue-suggestions",
        f"/events/{event['id']}/venue-suggestions",
    ):
        assert_error(await api.get(path, outsider), 404)
        assert_error(await api.get(path), 401)


async def test_nobody_located_gives_no_centre(api: Api) -> None:
    ann = await api.signup("Ann")
    group_id = await api.group(ann)
    body = (await api.get(f"/groups/{group_id}/venue-suggestions", ann)).json()
    assert body == {
        "strategy": "total",
        "center": None,
        "participants": 0,
        "unlocated": [ann.id],
        "within_hemisphere": True,
        "suggestions": [],
    }


async def test_a_trans_pacific_group_meets_across_the_date_line(api: Api) -> None:
    regions = ["Tokyo", "Sydney", "Honolulu", "Auckland", "San Francisco"]
    people = [await api.signup(f"P{i}", region=region) for i, region in enumerate(regions)]
    group_id = await api.group(people[0])
    await api.join(group_id, people[0], *people[1:])
    for strategy in ("total", "fair"):
        response = await api.get(
            f"/groups/{group_id}/venue-suggestions", people[1], params={"strategy": strategy}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["participants"] == 5 and body["within_hemisphere"] is True
        # Somewhere in the Pacific, not the lat/lon average over in Asia or Africa.
        longitude = body["center"]["longitude"]
        assert longitude > 150 or longitude < -140, body["center"]
        best = body["suggestions"][0]
        assert best["max_km"] < 9000, best


async def test_a_world_wide_group_is_flagged(api: Api) -> None:
    regions = ["Quito", "Singapore", "Kampala", "Honolulu", "Longyearbyen", "Ushuaia"]
    people = [await api.signup(f"P{i}", region=region) for i, region in enumerate(regions)]
    group_id = await api.group(people[0])
    await api.join(group_id, people[0], *people[1:])
    body = (
        await api.get(
            f"/groups/{group_id}/venue-suggestions", people[0], params={"strategy": "fair"}
        )
    ).json()
    assert body["within_hemisphere"] is False
    assert body["suggestions"]  # still an answer, flagged as meaningless


async def test_suggestions_are_documented(api: Api) -> None:
    schema = (await api.get("/schema/openapi.json")).json()
    for path in (
        "/events/{event_id}/venue-suggestions",
        "/groups/{group_id}/venue-suggestions",
        "/geocode",
    ):
        assert "get" in schema["paths"][path], path
    assert json.dumps(schema).count("within_hemisphere") >= 1


def test_helpers_are_consistent() -> None:
    # The reference distance used above agrees with a known value (London-Paris ~344 km).
    assert km_between((51.5074, -0.1278), (48.8566, 2.3522)) == pytest.approx(343.5, abs=1.5)
