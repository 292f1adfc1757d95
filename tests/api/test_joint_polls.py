"""Joint date and place polls through HTTP: place options on a proposal, options added
while it is proposed, place votes beside time votes, the per-date plan, the venue a
confirmation picks, and all of it under concurrent requests."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from rendezvous.events.tables import PlaceOption as PlaceRow
from tests.api.test_geo import km_between
from tests.helpers import SATURDAYS, Api, Person, assert_error, circle, propose

NO_VOTES = {"yes": 0, "maybe": 0, "no": 0}

# Where the offline gazetteer puts these towns (latitude, longitude).
TOWNS = {
    "Leeds": (53.796, -1.548),
    "York": (53.958, -1.083),
    "Manchester": (53.481, -2.237),
    "Cardiff": (51.480, -3.180),
    "Glasgow": (55.865, -4.258),
    "Edinburgh": (55.952, -3.196),
    "Inverness": (57.479, -4.224),
    "Aberdeen": (57.144, -2.098),
    "Perth": (56.395, -3.431),
    "Birmingham": (52.481, -1.900),
}


def near(place: dict[str, Any], town: str, within: float = 0.05) -> bool:
    """The place's coordinates are the town's (as the gazetteer knows it)."""
    latitude, longitude = TOWNS[town]
    return (
        place["latitude"] is not None
        and abs(place["latitude"] - latitude) < within
        and abs(place["longitude"] - longitude) < within
    )


def ids(options: list[dict[str, Any]]) -> list[int]:
    return [option["id"] for option in options]


async def event_of(api: Api, event_id: int, person: Person) -> dict[str, Any]:
    response = await api.get(f"/events/{event_id}", person)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def vote(api: Api, event_id: int, person: Person, **body: Any) -> dict[str, Any]:
    response = await api.put(f"/events/{event_id}/votes", person, json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def add(api: Api, event_id: int, person: Person, kind: str, **body: Any) -> httpx.Response:
    """POST /events/{id}/time-options or /place-options."""
    return await api.post(f"/events/{event_id}/{kind}-options", person, json=body)


async def added(api: Api, event_id: int, person: Person, kind: str, **body: Any) -> dict[str, Any]:
    response = await add(api, event_id, person, kind, **body)
    assert response.status_code == 201, response.text
    option: dict[str, Any] = response.json()
    return option


def keyed(votes: dict[int, str]) -> dict[str, str]:
    """A votes map as JSON gives it back."""
    return {str(option_id): choice for option_id, choice in votes.items()}


def span(day: int, month: int = 1) -> dict[str, str]:
    return {
        "start": f"2027-{month:02d}-{day:02d}T10:00:00Z",
        "end": f"2027-{month:02d}-{day:02d}T12:00:00Z",
    }


def spot(town: str, name: str | None = None) -> dict[str, Any]:
    """A place option with the town's coordinates given."""
    latitude, longitude = TOWNS[town]
    return {"name": name or town, "latitude": latitude, "longitude": longitude}


# --- 1. creating a proposal with place options ------------------------------------------


async def test_a_proposal_lists_place_options_located_as_venues_are(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    places = [
        {"name": "Minster Inn", "address": "24 Marygate", "latitude": 53.9625, "longitude": -1.087},
        {"name": "The Crown", "address": "1 High St, Perth, UK"},  # located from the address
        {"name": "Birmingham"},  # located from the name
        {"name": "Zzxq Nowhere Pub", "address": "Qqqxz Lane"},  # nobody knows it: kept
    ]
    event = await propose(api, group_id, member, place_options=places)
    got = event["place_options"]
    assert [(p["name"], p["address"]) for p in got] == [
        ("Minster Inn", "24 Marygate"),
        ("The Crown", "1 High St, Perth, UK"),
        ("Birmingham", None),
        ("Zzxq Nowhere Pub", "Qqqxz Lane"),
    ]
    assert (got[0]["latitude"], got[0]["longitude"]) == (53.9625, -1.087)  # as given
    assert near(got[1], "Perth") and near(got[2], "Birmingham")
    assert (got[3]["latitude"], got[3]["longitude"]) == (None, None)
    assert all(p["added_by"] == member.id and p["votes"] == NO_VOTES for p in got)
    assert len(set(ids(got))) == 4
    assert event["sequence"] == 0 and event["venue"] is None
    assert await event_of(api, event["id"], owner) == event
    listed = (await api.get(f"/groups/{group_id}/events", owner)).json()["items"]
    assert listed[0]["place_options"] == got
    # a proposal asking only "when" has none
    assert (await propose(api, group_id, owner))["place_options"] == []


REFUSED_PLACE_LISTS: list[tuple[list[dict[str, Any]], list[str]]] = [
    ([{"name": f"Pub {i}"} for i in range(21)], ["place_options"]),
    ([{"name": "The Crown", "address": "York"}, {"name": "the  crown", "address": "YORK!"}], []),
    ([{"name": "Café Rouge, York"}, {"name": "cafe rouge — york"}], []),
    ([{"name": "The Crown, York"}, {"name": "The Crown", "address": "Perth"}, {"name": ""}], []),
    ([{"name": "x" * 201}], []),
    ([{"name": "The Crown", "address": "a" * 201}], []),
    ([{"name": "The Crown", "latitude": 91, "longitude": 0}], []),
    ([{"name": "The Crown", "latitude": 53.9}], ["longitude"]),
    ([{"name": "The Crown", "city": "York"}], ["unknown field"]),
    ([{"address": "York"}], ["name"]),
]


@pytest.mark.parametrize(("places", "words"), REFUSED_PLACE_LISTS)
async def test_a_proposal_with_bad_place_options_is_refused_and_stores_nothing(
    api: Api, places: list[dict[str, Any]], words: list[str]
) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    body = {"title": "Meet-up", "timezone": "Europe/London", "time_options": SATURDAYS}
    response = await api.post(
        f"/groups/{group_id}/events", owner, json={**body, "place_options": places}
    )
    assert_error(response, 400, *words)
    assert (await api.get(f"/groups/{group_id}/events", owner)).json()["total"] == 0
    assert await PlaceRow.count() == 0


async def test_twenty_place_options_are_accepted(api: Api) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    places = [{"name": f"Pub {i}", "latitude": 50 + i / 10, "longitude": -1.0} for i in range(20)]
    event = await propose(api, group_id, owner, place_options=places)
    assert [p["name"] for p in event["place_options"]] == [f"Pub {i}" for i in range(20)]


# --- 2. adding options while proposed ---------------------------------------------------


async def test_members_add_time_and_place_options_while_proposed(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    event = await propose(
        api, group_id, owner, place_options=[{"name": "Bettys", "address": "York"}]
    )
    event_id = event["id"]
    assert near(event["place_options"][0], "York")

    time = await added(
        api,
        event_id,
        member,
        "time",
        start="2027-05-01T13:00:00+01:00",
        end="2027-05-01T18:00:00+01:00",
    )
    assert time["start"] == "2027-05-01T12:00:00Z" and time["end"] == "2027-05-01T17:00:00Z"
    assert time["votes"] == NO_VOTES and isinstance(time["id"], int)
    place = await added(api, event_id, admin, "place", name="Concert Hall", address="Perth, UK")
    assert (place["name"], place["address"], place["added_by"]) == (
        "Concert Hall",
        "Perth, UK",
        admin.id,
    )
    assert near(place, "Perth") and place["votes"] == NO_VOTES
    by_name = await added(api, event_id, member, "place", name="Birmingham")
    assert near(by_name, "Birmingham") and by_name["address"] is None
    unknown = await added(api, event_id, member, "place", name="Zzxq Nowhere Pub")
    assert (unknown["latitude"], unknown["longitude"]) == (None, None)
    given = await added(
        api,
        event_id,
        owner,
        "place",
        name="Tent",
        address="Field",
        latitude=-45.5,
        longitude=170.25,
    )
    assert (given["latitude"], given["longitude"], given["added_by"]) == (-45.5, 170.25, owner.id)

    after = await event_of(api, event_id, member)
    assert after["sequence"] == 0 and after["status"] == "proposed"
    assert after["time_options"] == [*event["time_options"], time]
    assert after["place_options"] == [*event["place_options"], place, by_name, unknown, given]
    assert [p["added_by"] for p in after["place_options"]] == [
        owner.id,
        admin.id,
        member.id,
        member.id,
        owner.id,
    ]
    # the new options can be voted on at once
    await vote(api, event_id, member, votes={time["id"]: "yes"}, place_votes={place["id"]: "yes"})
    voted = await event_of(api, event_id, member)
    assert voted["time_options"][-1]["votes"] == {"yes": 1, "maybe": 0, "no": 0}
    assert voted["place_options"][1]["votes"] == {"yes": 1, "maybe": 0, "no": 0}
    assert voted["sequence"] == 0


async def test_a_duplicate_option_is_refused(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(
        api,
        group_id,
        owner,
        place_options=[{"name": "The Crown, York"}, {"name": "Café Rouge", "address": "1 High St"}],
    )
    event_id = event["id"]
    # the same span as SATURDAYS[0] (12:00-17:00 UTC), written with another offset
    for body in (
        {"start": "2027-03-06T13:00:00+01:00", "end": "2027-03-06T18:00:00+01:00"},
        {"start": "2027-03-06T07:00:00-05:00", "end": "2027-03-06T12:00:00-05:00"},
        {"start": "2027-03-06T12:00:00Z", "end": "2027-03-06T17:00:00Z"},
    ):
        assert_error(await add(api, event_id, member, "time", **body), 409)
    for body in (
        {"name": "the  crown — YORK"},
        {"name": "THE CROWN,YORK."},
        {"name": "CAFE ROUGE", "address": "1, high st."},
        {"name": "café-rouge", "address": "1 HIGH  ST"},
    ):
        assert_error(await add(api, event_id, member, "place", **body), 409)
    assert await event_of(api, event_id, owner) == event
    # the same name elsewhere, or an overlapping span, is another option
    await added(api, event_id, member, "place", name="The Crown", address="Perth")
    await added(
        api, event_id, member, "time", start="2027-03-06T12:00:00Z", end="2027-03-06T18:00:00Z"
    )
    # and once added, an option is a duplicate as well
    assert_error(
        await add(api, event_id, owner, "place", name="the crown", address="PERTH"),
        409,
    )
    assert_error(
        await add(
            api,
            event_id,
            owner,
            "time",
            start="2027-03-06T13:00:00+01:00",
            end="2027-03-06T19:00:00+01:00",
        ),
        409,
    )
    after = await event_of(api, event_id, owner)
    assert len(after["time_options"]) == 4 and len(after["place_options"]) == 3


async def test_at_most_twenty_options_of_each_kind(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(
        api,
        group_id,
        owner,
        time_options=[span(day) for day in range(1, 21)],
        place_options=[spot("York", f"Pub {i}") for i in range(19)],
    )
    event_id = event["id"]
    assert_error(await add(api, event_id, member, "time", **span(25)), 409, "20")
    twentieth = await added(api, event_id, member, "place", **spot("Perth"))
    full = await event_of(api, event_id, owner)
    assert full["place_options"] == [*event["place_options"], twentieth]
    assert_error(await add(api, event_id, member, "place", **spot("Birmingham")), 409, "20")
    assert await event_of(api, event_id, owner) == full
    assert len(full["time_options"]) == 20 and len(full["place_options"]) == 20


async def test_options_are_added_only_to_a_proposal_and_only_by_members(api: Api) -> None:
    group_id, owner, _, member, outsider = await circle(api)
    confirmed = await propose(api, group_id, owner, place_options=[spot("York")])
    assert (await api.post(f"/events/{confirmed['id']}/confirm", owner)).status_code == 200
    cancelled = await propose(api, group_id, owner, place_options=[spot("York")])
    assert (await api.post(f"/events/{cancelled['id']}/cancel", owner)).status_code == 200
    proposed = await propose(api, group_id, owner, place_options=[spot("York")])
    for event_id in (confirmed["id"], cancelled["id"]):
        before = await event_of(api, event_id, owner)
        assert_error(await add(api, event_id, member, "time", **span(9, 5)), 409)
        assert_error(await add(api, event_id, owner, "place", **spot("Perth")), 409)
        assert await event_of(api, event_id, owner) == before
    before = await event_of(api, proposed["id"], owner)
    for event_id in (proposed["id"], confirmed["id"], 999_999):
        assert_error(await add(api, event_id, outsider, "time", **span(9, 5)), 404)
        assert_error(await add(api, event_id, outsider, "place", **spot("Perth")), 404)
    for kind, body in (("time", span(9, 5)), ("place", spot("Perth"))):
        anonymous = await api.post(f"/events/{proposed['id']}/{kind}-options", json=body)
        assert_error(anonymous, 401)
    assert await event_of(api, proposed["id"], owner) == before


BAD_TIME_OPTIONS: list[dict[str, Any]] = [
    {"start": "2027-05-01T12:00:00Z", "end": "2027-05-01T11:00:00Z"},
    {"start": "2027-05-01T12:00:00Z", "end": "2027-05-01T12:00:00Z"},
    {"start": "2027-05-01T12:00:00", "end": "2027-05-01T13:00:00"},
    {"start": "2027-05-01T12:00:00Z", "end": "2027-05-30T12:00:00Z"},
    {"start": "2027-05-01T12:00:00Z"},
    {"start": "saturday", "end": "2027-05-01T13:00:00Z"},
    {"start": "2027-05-01T12:00:00Z", "end": "2027-05-01T13:00:00Z", "votes": {}},
    {},
]

BAD_PLACE_OPTIONS: list[dict[str, Any]] = [
    {"name": ""},
    {"name": "   "},
    {"name": "x" * 201},
    {"name": "The Crown", "address": "a" * 201},
    {"name": "The Crown", "latitude": 91, "longitude": 0},
    {"name": "The Crown", "latitude": 0, "longitude": 181},
    {"name": "The Crown", "latitude": 53.9},
    {"name": "The Crown", "latitude": "53.9", "longitude": "-1.0"},
    {"name": "The Crown", "city": "York"},
    {"address": "York"},
    {},
]


async def test_bad_options_are_refused_and_store_nothing(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(api, group_id, owner, place_options=[spot("York")])
    event_id = event["id"]
    for body in BAD_TIME_OPTIONS:
        assert_error(await add(api, event_id, member, "time", **body), 400)
    for body in BAD_PLACE_OPTIONS:
        assert_error(await add(api, event_id, member, "place", **body), 400)
    for kind in ("time", "place"):
        for raw in ("[]", "null", "{", '"York"'):
            response = await api.post(
                f"/events/{event_id}/{kind}-options",
                member,
                content=raw,
                headers={"Content-Type": "application/json"},
            )
            assert_error(response, 400)
    assert await event_of(api, event_id, owner) == event
    assert await PlaceRow.count() == 1
    # 200 characters is still fine
    longest = await added(api, event_id, member, "place", name="n" * 200, address="a" * 200)
    assert len(longest["name"]) == 200


# --- 3. votes -----------------------------------------------------------------------------


async def test_time_and_place_votes_are_each_replaced_on_their_own(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    event = await propose(
        api, group_id, owner, place_options=[spot("York"), spot("Perth"), spot("Birmingham")]
    )
    event_id = event["id"]
    t1, t2, t3 = ids(event["time_options"])
    york, perth, brum = ids(event["place_options"])
    path = f"/events/{event_id}/votes"

    both = await vote(
        api, event_id, member, votes={t1: "yes"}, place_votes={york: "yes", perth: "maybe"}
    )
    assert both == {
        "votes": keyed({t1: "yes"}),
        "place_votes": keyed({york: "yes", perth: "maybe"}),
    }
    # place votes alone leave the time votes
    places_only = await vote(api, event_id, member, place_votes={brum: "no"})
    assert places_only == {"votes": keyed({t1: "yes"}), "place_votes": keyed({brum: "no"})}
    # time votes alone leave the place votes
    times_only = await vote(api, event_id, member, votes={t2: "maybe", t3: "no"})
    assert times_only == {
        "votes": keyed({t2: "maybe", t3: "no"}),
        "place_votes": keyed({brum: "no"}),
    }
    assert (await api.get(path, member)).json() == times_only
    # an empty map withdraws the votes of its kind only
    cleared = await vote(api, event_id, member, place_votes={})
    assert cleared == {"votes": keyed({t2: "maybe", t3: "no"}), "place_votes": {}}
    assert (await api.get(path, member)).json() == cleared
    # null is not "absent"
    assert_error(await api.put(path, member, json={"votes": None}), 400)
    assert_error(await api.put(path, member, json={"place_votes": None}), 400)
    assert_error(await api.put(path, member, json={}), 400)
    assert (await api.get(path, member)).json() == cleared

    await vote(api, event_id, member, place_votes={york: "yes", perth: "yes", brum: "maybe"})
    await vote(api, event_id, admin, place_votes={york: "no", perth: "yes"})
    await vote(api, event_id, owner, votes={t1: "yes"}, place_votes={york: "maybe"})
    shown = await event_of(api, event_id, owner)
    assert [p["votes"] for p in shown["place_options"]] == [
        {"yes": 1, "maybe": 1, "no": 1},
        {"yes": 2, "maybe": 0, "no": 0},
        {"yes": 0, "maybe": 1, "no": 0},
    ]
    assert [o["votes"] for o in shown["time_options"]] == [
        {"yes": 1, "maybe": 0, "no": 0},
        {"yes": 0, "maybe": 1, "no": 0},
        {"yes": 0, "maybe": 0, "no": 1},
    ]
    assert shown["sequence"] == 0
    # leaving the group takes the member's place votes with them
    assert (await api.delete(f"/groups/{group_id}/members/{member.id}", member)).status_code == 204
    left = await event_of(api, event_id, owner)
    assert [p["votes"] for p in left["place_options"]] == [
        {"yes": 0, "maybe": 1, "no": 1},
        {"yes": 1, "maybe": 0, "no": 0},
        NO_VOTES,
    ]


async def test_place_votes_for_another_events_options_are_refused(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(api, group_id, owner, place_options=[spot("York"), spot("Perth")])
    other = await propose(api, group_id, owner, place_options=[spot("York"), spot("Perth")])
    event_id = event["id"]
    t1 = event["time_options"][0]["id"]
    york, perth = ids(event["place_options"])
    foreign = other["place_options"][0]["id"]
    path = f"/events/{event_id}/votes"
    mine = await vote(api, event_id, member, votes={t1: "yes"}, place_votes={york: "yes"})
    before = await event_of(api, event_id, owner)

    unknown = max(*ids(event["time_options"]), *ids(other["time_options"]), foreign) + 1000
    for body, named in (
        ({"place_votes": {york: "no", foreign: "yes"}}, foreign),
        ({"votes": {t1: "no"}, "place_votes": {perth: "yes", foreign: "yes"}}, foreign),
        ({"votes": {t1: "no"}, "place_votes": {unknown: "yes"}}, unknown),
        ({"votes": {unknown: "no"}, "place_votes": {perth: "yes"}}, unknown),
    ):
        assert_error(await api.put(path, member, json=body), 400, str(named))
        assert (await api.get(path, member)).json() == mine
    for bad in (
        {"place_votes": {york: "perhaps"}},
        {"place_votes": {"york": "yes"}},
        {"place_votes": [york]},
        {"place_votes": {york: "yes"}, "extra": 1},
    ):
        assert_error(await api.put(path, member, json=bad), 400)
    assert (await api.get(path, member)).json() == mine
    assert await event_of(api, event_id, owner) == before
    assert all(
        p["votes"] == NO_VOTES for p in (await event_of(api, other["id"], owner))["place_options"]
    )
    # once confirmed, voting on places is closed too
    assert (
        await api.post(f"/events/{event_id}/confirm", owner, json={"place_option_id": york})
    ).status_code == 200
    assert_error(await api.put(path, member, json={"place_votes": {perth: "yes"}}), 409)
    assert (await api.get(path, member)).json() == mine


# --- 4. the plan --------------------------------------------------------------------------

UK_PEOPLE = {
    "Olive": "Leeds",
    "Yvonne": "York",
    "Mandy": "Manchester",
    "Bronwen": "Cardiff",
    "Catriona": "Glasgow",
    "Eilidh": "Edinburgh",
    "Iona": "Inverness",
}
SCOTS = ("Catriona", "Eilidh", "Iona")
ENGLISH = ("Olive", "Yvonne", "Mandy", "Bronwen")  # and a Welshwoman


async def uk_poll(api: Api) -> tuple[int, dict[str, Person]]:
    """A group spread over Britain, with Una who gave no region."""
    people = {
        name: await api.signup(name, region=f"{town}, UK") for name, town in UK_PEOPLE.items()
    }
    people["Una"] = await api.signup("Una")
    group_id = await api.group(people["Olive"])
    await api.join(group_id, people["Olive"], *(p for n, p in people.items() if n != "Olive"))
    return group_id, people


async def plan_of(api: Api, event_id: int, person: Person, strategy: str) -> dict[str, Any]:
    response = await api.get(f"/events/{event_id}/plan", person, params={"strategy": strategy})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["strategy"] == strategy
    return body


async def plans(api: Api, event_id: int, person: Person) -> dict[str, dict[str, Any]]:
    """Both strategies' plans (which fills this worker's cache with both)."""
    return {s: await plan_of(api, event_id, person, s) for s in ("total", "fair")}


def ranked(option: dict[str, Any]) -> list[int]:
    return [place["place_option_id"] for place in option["places"]]


def check_scores(
    option: dict[str, Any], homes: list[str], located: dict[int, str], strategy: str
) -> None:
    """Every located place is scored by the yes voters' journeys and ranked by the
    strategy's objective, then the other, then the order added."""
    assert option["participants"] == len(homes)
    assert sorted(ranked(option)) == sorted(located)
    order = list(located)
    for place in option["places"]:
        journeys = [
            km_between(TOWNS[home], TOWNS[located[place["place_option_id"]]]) for home in homes
        ]
        assert place["total_km"] == pytest.approx(sum(journeys), abs=0.5 + len(homes) * 0.5)
        assert place["max_km"] == pytest.approx(max(journeys, default=0.0), abs=1.0)

    def key(place: dict[str, Any]) -> tuple[float, float, int]:
        first, second = (
            (place["total_km"], place["max_km"])
            if strategy == "total"
            else (place["max_km"], place["total_km"])
        )
        return first, second, order.index(place["place_option_id"])

    assert option["places"] == sorted(option["places"], key=key)


async def test_the_plan_ranks_the_places_for_each_dates_yes_voters(api: Api) -> None:
    group_id, people = await uk_poll(api)
    outsider = await api.signup("Otto", region="Leeds, UK")
    event = await propose(
        api,
        group_id,
        people["Olive"],
        place_options=[
            {"name": "Minster Inn", "latitude": TOWNS["York"][0], "longitude": TOWNS["York"][1]},
            {"name": "Concert Hall", "address": "Perth, UK"},
            {"name": "Birmingham"},
            {"name": "Zzxq Nowhere Pub"},  # no coordinates: left out of the plan
        ],
    )
    event_id = event["id"]
    d1, d2, d3 = ids(event["time_options"])
    york, perth, brum, _nowhere = ids(event["place_options"])
    located = {york: "York", perth: "Perth", brum: "Birmingham"}

    async def ballot(name: str, votes: dict[int, str]) -> None:
        await vote(api, event_id, people[name], votes=votes)

    # The Scots can make the first Saturday, the English (and Welsh) the second;
    # Una, who gave no region, can make both; two people and a maybe for the third.
    for name in SCOTS:
        await ballot(name, {d1: "yes", d2: "no"})
    for name in ENGLISH:
        await ballot(name, {d1: "no", d2: "yes"})
    await ballot("Una", {d1: "yes", d2: "yes"})
    await ballot("Catriona", {d1: "yes", d2: "no", d3: "yes"})
    await ballot("Olive", {d1: "no", d2: "yes", d3: "yes"})
    await ballot("Bronwen", {d1: "no", d2: "yes", d3: "maybe"})

    default = await api.get(f"/events/{event_id}/plan", people["Una"])
    assert default.status_code == 200 and default.json()["strategy"] == "total"
    seen = await plans(api, event_id, people["Una"])
    assert default.json() == seen["total"]
    for strategy, body in seen.items():
        first, second, third = body["options"]
        assert [o["option_id"] for o in body["options"]] == [d1, d2, d3]
        assert (first["yes"], first["maybe"], first["participants"]) == (4, 0, 3)
        assert (second["yes"], second["maybe"], second["participants"]) == (5, 0, 4)
        assert (third["yes"], third["maybe"], third["participants"]) == (2, 1, 2)
        check_scores(first, [UK_PEOPLE[n] for n in SCOTS], located, strategy)
        check_scores(second, [UK_PEOPLE[n] for n in ENGLISH], located, strategy)
        check_scores(third, ["Glasgow", "Leeds"], located, strategy)
        # Perth for the Scots' date, whichever way it is counted
        assert ranked(first) == [perth, york, brum]
        # centres: in Scotland for the first date, in England for the second, none for two
        assert 55.8 < first["center"]["latitude"] < 57.5
        assert -4.4 < first["center"]["longitude"] < -3.0
        assert 51.4 < second["center"]["latitude"] < 54.1
        assert -3.3 < second["center"]["longitude"] < -1.0
        assert third["center"] is None
    # The English date: York is the least travel in all, Birmingham the shortest longest
    # journey (the Cardiff member's).
    assert ranked(seen["total"]["options"][1]) == [york, brum, perth]
    assert ranked(seen["fair"]["options"][1]) == [brum, york, perth]

    # A new place option: Edinburgh is less travel in all for the Scots, Perth still fairer.
    before = await plans(api, event_id, people["Una"])
    edinburgh = (await added(api, event_id, people["Eilidh"], "place", name="Edinburgh, UK"))["id"]
    located[edinburgh] = "Edinburgh"
    seen = await plans(api, event_id, people["Una"])
    assert seen != before
    assert ranked(seen["total"]["options"][0]) == [edinburgh, perth, york, brum]
    assert ranked(seen["fair"]["options"][0]) == [perth, edinburgh, york, brum]
    for strategy, body in seen.items():
        check_scores(body["options"][0], [UK_PEOPLE[n] for n in SCOTS], located, strategy)
        check_scores(body["options"][1], [UK_PEOPLE[n] for n in ENGLISH], located, strategy)

    # A member moving region: Bronwen moves from Cardiff to Aberdeen.
    response = await api.patch("/me", people["Bronwen"], json={"region": "Aberdeen, UK"})
    assert response.status_code == 200, response.text
    moved = await plans(api, event_id, people["Una"])
    homes = ["Leeds", "York", "Manchester", "Aberdeen"]
    for strategy, body in moved.items():
        check_scores(body["options"][1], homes, located, strategy)
        assert (
            body["options"][1]["center"]["latitude"]
            > seen[strategy]["options"][1]["center"]["latitude"]
        )
    assert ranked(moved["total"]["options"][1])[0] == york
    assert ranked(moved["fair"]["options"][1]) == [edinburgh, perth, york, brum]
    assert moved["total"]["options"][0] == seen["total"]["options"][0]  # not a participant there

    # A member giving a region: Una, yes on both dates, now counts on both.
    assert (
        await api.patch("/me", people["Una"], json={"region": "Inverness, UK"})
    ).status_code == 200
    una = await plans(api, event_id, people["Olive"])
    for body in una.values():
        assert [o["participants"] for o in body["options"]] == [4, 5, 2]
    check_scores(
        una["total"]["options"][0],
        ["Glasgow", "Edinburgh", "Inverness", "Inverness"],
        located,
        "total",
    )
    check_scores(una["fair"]["options"][1], [*homes, "Inverness"], located, "fair")

    # New votes: Iona cannot come after all, nor can Una on the first date: two remain.
    await ballot("Iona", {d1: "no"})
    await ballot("Una", {d2: "yes"})
    voted = await plans(api, event_id, people["Olive"])
    for strategy, body in voted.items():
        first = body["options"][0]
        assert (first["yes"], first["participants"], first["center"]) == (2, 2, None)
        check_scores(first, ["Glasgow", "Edinburgh"], located, strategy)
        assert ranked(first)[0] == edinburgh
        assert body["options"][1]["participants"] == 5

    # A new time option: every located place for nobody, in the order added.
    late = await added(api, event_id, people["Mandy"], "time", **span(1, 5))
    grown = await plans(api, event_id, people["Olive"])
    for body in grown.values():
        assert [o["option_id"] for o in body["options"]] == [d1, d2, d3, late["id"]]
        last = body["options"][3]
        assert (last["yes"], last["maybe"], last["participants"], last["center"]) == (0, 0, 0, None)
        assert ranked(last) == [york, perth, brum, edinburgh]
        assert all(p["total_km"] == 0 and p["max_km"] == 0 for p in last["places"])
    await vote(api, event_id, people["Mandy"], votes={late["id"]: "yes"})
    last = (await plan_of(api, event_id, people["Olive"], "total"))["options"][3]
    assert (last["yes"], last["participants"]) == (1, 1)
    assert ranked(last) == [york, brum, edinburgh, perth]

    # members only, and a known strategy
    assert_error(await api.get(f"/events/{event_id}/plan", outsider), 404)
    assert_error(await api.get("/events/999999/plan", people["Olive"]), 404)
    assert_error(await api.get(f"/events/{event_id}/plan"), 401)
    for strategy in ("fastest", "", "TOTAL"):
        assert_error(
            await api.get(
                f"/events/{event_id}/plan", people["Olive"], params={"strategy": strategy}
            ),
            400,
        )


async def test_a_plan_without_located_places_or_people(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)  # only the owner has a region
    event = await propose(api, group_id, owner, place_options=[{"name": "Zzxq Nowhere Pub"}])
    event_id = event["id"]
    t1 = event["time_options"][0]["id"]
    for person in (owner, admin, member):
        await vote(api, event_id, person, votes={t1: "yes"})
    body = await plan_of(api, event_id, member, "fair")
    assert [o["option_id"] for o in body["options"]] == ids(event["time_options"])
    first = body["options"][0]
    assert (first["yes"], first["participants"], first["center"], first["places"]) == (
        3,
        1,
        None,
        [],
    )


# --- 5. confirming picks the venue --------------------------------------------------------


async def confirm(api: Api, event_id: int, person: Person, **body: Any) -> dict[str, Any]:
    response = await api.post(f"/events/{event_id}/confirm", person, json=body)
    assert response.status_code == 200, response.text
    event: dict[str, Any] = response.json()
    assert event["status"] == "confirmed" and event["sequence"] == 1
    return event


def venue_is(event: dict[str, Any], place: dict[str, Any]) -> bool:
    venue = event["venue"]
    return venue is not None and (
        venue["name"],
        venue["address"],
        venue["latitude"],
        venue["longitude"],
    ) == (place["name"], place["address"], place["latitude"], place["longitude"])


def ics_lines(content: bytes) -> list[str]:
    return content.decode().replace("\r\n ", "").split("\r\n")


async def test_confirm_with_a_chosen_place_option(api: Api) -> None:
    group_id, people = await uk_poll(api)
    olive = people["Olive"]
    places = [
        spot("York", "Minster Inn"),
        {"name": "Concert Hall", "address": "Perth, UK"},
        {"name": "Zzxq Nowhere Pub", "address": "Qqqxz Lane"},
    ]
    event = await propose(api, group_id, olive, place_options=places)
    york, perth, nowhere = event["place_options"]
    await vote(api, event["id"], people["Yvonne"], place_votes={york["id"]: "yes"})
    confirmed = await confirm(api, event["id"], olive, place_option_id=perth["id"])
    assert venue_is(confirmed, perth) and near(confirmed["venue"], "Perth")
    assert confirmed["place_options"] == [
        {**york, "votes": {"yes": 1, "maybe": 0, "no": 0}},
        perth,
        nowhere,
    ]
    assert await event_of(api, event["id"], people["Una"]) == confirmed
    response = await api.get(f"/events/{event['id']}/invite.ics", people["Iona"])
    assert response.status_code == 200, response.text
    lines = ics_lines(response.content)
    location = next(line for line in lines if line.startswith("LOCATION"))
    assert "Concert Hall" in location
    geo = next(line for line in lines if line.startswith("GEO:"))
    latitude, longitude = map(float, geo.removeprefix("GEO:").split(";"))
    assert (latitude, longitude) == pytest.approx((perth["latitude"], perth["longitude"]), abs=1e-4)

    # a place no geocoder knows may be chosen too: a venue without coordinates
    other = await propose(api, group_id, olive, place_options=places)
    unlocated = other["place_options"][2]
    chosen = await confirm(api, other["id"], olive, place_option_id=unlocated["id"])
    assert venue_is(chosen, unlocated)
    ics = ics_lines((await api.get(f"/events/{other['id']}/invite.ics", olive)).content)
    assert any(line.startswith("LOCATION") and "Zzxq Nowhere Pub" in line for line in ics)
    assert not any(line.startswith("GEO:") for line in ics)


async def test_the_venue_goes_to_the_most_yes_then_the_most_maybe(api: Api) -> None:
    group_id, people = await uk_poll(api)
    olive = people["Olive"]
    places = [
        spot("York", "Minster Inn"),
        spot("Perth", "Concert Hall"),
        {"name": "Zzxq Nowhere Pub"},
    ]

    # Most yes: Perth (2) over York (1); the unlocated pub's 3 do not count. Distance
    # (the English date wins) would have said York.
    event = await propose(api, group_id, olive, place_options=places)
    _, d2, _ = ids(event["time_options"])
    york, perth, nowhere = event["place_options"]
    for name in ENGLISH:
        await vote(api, event["id"], people[name], votes={d2: "yes"})
    await vote(
        api,
        event["id"],
        people["Olive"],
        votes={d2: "yes"},
        place_votes={york["id"]: "yes", nowhere["id"]: "yes"},
    )
    await vote(
        api, event["id"], people["Catriona"], place_votes={perth["id"]: "yes", nowhere["id"]: "yes"}
    )
    await vote(
        api,
        event["id"],
        people["Eilidh"],
        place_votes={perth["id"]: "yes", nowhere["id"]: "yes", york["id"]: "maybe"},
    )
    confirmed = await confirm(api, event["id"], olive)
    assert confirmed["start"] == "2027-03-13T12:00:00Z"
    assert venue_is(confirmed, perth)

    # Equal yes: the most maybe, Perth again (York was added first and is nearer).
    event = await propose(api, group_id, olive, place_options=places)
    _, d2, _ = ids(event["time_options"])
    york, perth, nowhere = event["place_options"]
    for name in ENGLISH:
        await vote(api, event["id"], people[name], votes={d2: "yes"})
    await vote(
        api,
        event["id"],
        people["Olive"],
        votes={d2: "yes"},
        place_votes={york["id"]: "yes", perth["id"]: "maybe"},
    )
    await vote(
        api,
        event["id"],
        people["Yvonne"],
        votes={d2: "yes"},
        place_votes={perth["id"]: "yes", york["id"]: "no"},
    )
    await vote(
        api,
        event["id"],
        people["Mandy"],
        votes={d2: "yes"},
        place_votes={perth["id"]: "maybe", nowhere["id"]: "yes"},
    )
    await vote(api, event["id"], people["Una"], place_votes={nowhere["id"]: "yes"})
    assert venue_is(await confirm(api, event["id"], olive), perth)


async def test_equal_votes_go_to_the_least_travel_for_the_chosen_dates_yes_voters(api: Api) -> None:
    group_id, people = await uk_poll(api)
    olive = people["Olive"]
    # Birmingham first: the shortest longest journey for the English date, but not the
    # least travel in all; that is York. For the Scots' date it is Perth, added last.
    places = [spot("Birmingham"), spot("York", "Minster Inn"), spot("Perth", "Concert Hall")]

    async def poll() -> tuple[dict[str, Any], list[int], list[dict[str, Any]]]:
        event = await propose(api, group_id, olive, place_options=places)
        d1, d2, d3 = ids(event["time_options"])
        every = {p["id"]: "yes" for p in event["place_options"]}
        for name in SCOTS:
            await vote(api, event["id"], people[name], votes={d1: "yes"})
        for name in ENGLISH:
            await vote(api, event["id"], people[name], votes={d2: "yes"})
        # one yes and one maybe on every place: a tie on votes
        await vote(api, event["id"], people["Una"], votes={d3: "yes"}, place_votes=every)
        maybe = dict.fromkeys(every, "maybe")
        await vote(api, event["id"], people["Iona"], votes={d1: "yes"}, place_votes=maybe)
        return event, [d1, d2, d3], event["place_options"]

    event, _, (brum, york, perth) = await poll()
    confirmed = await confirm(api, event["id"], olive)  # the English date: 4 yes to 3
    assert confirmed["start"] == "2027-03-13T12:00:00Z"
    assert venue_is(confirmed, york) and near(confirmed["venue"], "York")
    lines = ics_lines((await api.get(f"/events/{event['id']}/invite.ics", olive)).content)
    assert any(line.startswith("LOCATION") and "Minster Inn" in line for line in lines)
    assert any(line.startswith("GEO:") for line in lines)

    event, (d1, _, _), (brum, york, perth) = await poll()
    assert venue_is(await confirm(api, event["id"], olive, option_id=d1), perth)

    # The third date's only yes voter has no region: nothing to tell them apart but the
    # order added.
    event, (_, _, d3), (brum, york, perth) = await poll()
    assert venue_is(await confirm(api, event["id"], olive, option_id=d3), brum)


async def test_equal_everything_goes_to_the_earliest_located_place(api: Api) -> None:
    group_id, people = await uk_poll(api)
    olive = people["Olive"]
    places = [
        {"name": "Zzxq Nowhere Pub"},
        spot("Perth", "Concert Hall"),
        spot("York", "Minster Inn"),
    ]
    event = await propose(api, group_id, olive, place_options=places)
    _, perth, _ = event["place_options"]
    confirmed = await confirm(api, event["id"], olive)  # nobody voted at all
    assert confirmed["start"] == "2027-03-06T12:00:00Z" and venue_is(confirmed, perth)

    # Without a located place option, the venue proposed stays.
    kept = await propose(
        api,
        group_id,
        olive,
        venue={"name": "Town Hall", "address": "Leeds, UK"},
        place_options=[{"name": "Zzxq Nowhere Pub"}],
    )
    await vote(api, kept["id"], olive, place_votes={kept["place_options"][0]["id"]: "yes"})
    confirmed = await confirm(api, kept["id"], olive)
    assert confirmed["venue"] == kept["venue"] and near(confirmed["venue"], "Leeds")


async def test_a_venue_given_at_confirmation_wins_and_bad_choices_are_refused(api: Api) -> None:
    group_id, people = await uk_poll(api)
    olive = people["Olive"]
    event = await propose(
        api, group_id, olive, place_options=[spot("York", "Minster Inn"), spot("Perth")]
    )
    other = await propose(api, group_id, olive, place_options=[spot("York", "Minster Inn")])
    york, _ = event["place_options"]
    await vote(api, event["id"], people["Yvonne"], place_votes={york["id"]: "yes"})
    before = await event_of(api, event["id"], olive)
    path = f"/events/{event['id']}/confirm"
    foreign = other["place_options"][0]["id"]
    assert_error(await api.post(path, olive, json={"place_option_id": foreign}), 400, str(foreign))
    assert_error(
        await api.post(
            path, olive, json={"place_option_id": york["id"], "venue": {"name": "Bettys"}}
        ),
        400,
    )
    for bad in (
        {"place_option_id": 0},
        {"place_option_id": "1"},
        {"place_option_id": york["id"], "x": 1},
    ):
        assert_error(await api.post(path, olive, json=bad), 400)
    plain = await propose(api, group_id, olive)  # no place options at all
    assert_error(
        await api.post(
            f"/events/{plain['id']}/confirm", olive, json={"place_option_id": york["id"]}
        ),
        400,
    )
    assert (await event_of(api, plain["id"], olive))["status"] == "proposed"
    # a member who may not confirm learns nothing from a place option id either
    assert_error(await api.post(path, people["Una"], json={"place_option_id": york["id"]}), 403)
    assert await event_of(api, event["id"], olive) == before

    confirmed = await confirm(
        api, event["id"], olive, venue={"name": "Bettys Tea Room", "address": "York"}
    )
    assert confirmed["venue"]["name"] == "Bettys Tea Room" and near(confirmed["venue"], "York")
    lines = ics_lines((await api.get(f"/events/{event['id']}/invite.ics", olive)).content)
    assert any(line.startswith("LOCATION") and "Bettys Tea Room" in line for line in lines)
    assert_error(await api.post(path, olive, json={"place_option_id": york["id"]}), 409)


# --- 6. concurrency -----------------------------------------------------------------------


async def test_forty_members_vote_and_add_options_at_once(api: Api) -> None:
    owner = await api.signup("Olive", region="Leeds, UK")
    people = [await api.signup(f"P{i:02d}") for i in range(40)]
    group_id = await api.group(owner)
    await api.join(group_id, owner, *people)
    event = await propose(api, group_id, owner, place_options=[spot("York"), spot("Perth")])
    event_id = event["id"]
    times, places = ids(event["time_options"]), ids(event["place_options"])
    choices = ("yes", "maybe", "no")

    def ballot(i: int, round_: int) -> dict[str, Any]:
        return {
            "votes": {times[(i + round_) % 3]: "yes", times[(i + round_ + 1) % 3]: choices[i % 3]},
            "place_votes": {places[(i + round_) % 2]: choices[(i + round_) % 3]},
        }

    def expected(round_: int, time_ids: list[int], place_ids: list[int]) -> dict[str, Any]:
        time_counts = {t: dict(NO_VOTES) for t in time_ids}
        place_counts = {p: dict(NO_VOTES) for p in place_ids}
        for i in range(40):
            body = ballot(i, round_)
            for option_id, choice in body["votes"].items():
                time_counts[option_id][choice] += 1
            for option_id, choice in body["place_votes"].items():
                place_counts[option_id][choice] += 1
        return {"time": time_counts, "place": place_counts}

    def tallies(shown: dict[str, Any]) -> dict[str, Any]:
        return {
            "time": {o["id"]: o["votes"] for o in shown["time_options"]},
            "place": {p["id"]: p["votes"] for p in shown["place_options"]},
        }

    # Round 1: everybody votes while ten add the same place (written ten ways), ten the
    # same span (written with two offsets) and five each a span of their own.
    crown = ["The Crown", "the crown", "THE CROWN", "The  Crown", "the Crown!", "The Crown."]
    requests = [
        api.put(f"/events/{event_id}/votes", p, json=ballot(i, 0)) for i, p in enumerate(people)
    ]
    requests += [
        add(
            api,
            event_id,
            people[i],
            "place",
            name=crown[i % len(crown)],
            address="York" if i % 2 else "york",
        )
        for i in range(10)
    ]
    same_span = (
        {"start": "2027-06-05T12:00:00Z", "end": "2027-06-05T15:00:00Z"},
        {"start": "2027-06-05T13:00:00+01:00", "end": "2027-06-05T16:00:00+01:00"},
    )
    requests += [add(api, event_id, people[10 + i], "time", **same_span[i % 2]) for i in range(10)]
    requests += [add(api, event_id, people[20 + i], "time", **span(i + 1, 7)) for i in range(5)]
    responses = await asyncio.gather(*requests)
    assert [r.text for r in responses if r.status_code >= 500] == []
    votes, crowns, spans, own = responses[:40], responses[40:50], responses[50:60], responses[60:]
    assert all(r.status_code == 200 for r in votes)
    assert sorted(r.status_code for r in crowns) == [201] + [409] * 9, [r.text for r in crowns]
    assert sorted(r.status_code for r in spans) == [201] + [409] * 9, [r.text for r in spans]
    assert all(r.status_code == 201 for r in own), [r.text for r in own]
    new_place = next(r.json() for r in crowns if r.status_code == 201)
    assert near(new_place, "York")
    new_times = [r.json()["id"] for r in [*spans, *own] if r.status_code == 201]

    shown = await event_of(api, event_id, owner)
    assert ids(shown["place_options"]) == [*places, new_place["id"]]
    assert ids(shown["time_options"])[:3] == times
    assert sorted(ids(shown["time_options"])[3:]) == sorted(new_times)
    assert shown["sequence"] == 0
    counted = expected(0, ids(shown["time_options"]), ids(shown["place_options"]))
    assert tallies(shown) == counted
    places.append(new_place["id"])
    times = ids(shown["time_options"])  # 9

    # Round 2: everybody votes again while 25 add a place each and 25 a span each:
    # 17 more places and 11 more spans fit under the 20.
    requests = [
        api.put(f"/events/{event_id}/votes", p, json=ballot(i, 1)) for i, p in enumerate(people)
    ]
    requests += [
        add(
            api,
            event_id,
            people[i],
            "place",
            name=f"Pub {i}",
            latitude=54 + i / 100,
            longitude=-2.0,
        )
        for i in range(25)
    ]
    requests += [add(api, event_id, people[15 + i], "time", **span(i + 1, 8)) for i in range(25)]
    responses = await asyncio.gather(*requests)
    assert [r.text for r in responses if r.status_code >= 500] == []
    votes, place_adds, time_adds = responses[:40], responses[40:65], responses[65:]
    assert all(r.status_code == 200 for r in votes)
    assert sorted(r.status_code for r in place_adds) == [201] * 17 + [409] * 8
    assert sorted(r.status_code for r in time_adds) == [201] * 11 + [409] * 14
    for response in (*place_adds, *time_adds):
        if response.status_code == 409:
            assert_error(response, 409)

    shown = await event_of(api, event_id, owner)
    place_ids, time_ids = ids(shown["place_options"]), ids(shown["time_options"])
    assert len(place_ids) == 20 and len(time_ids) == 20
    assert len(set(place_ids)) == 20 and len(set(time_ids)) == 20
    assert place_ids[:3] == places and time_ids[:9] == times
    assert sorted(place_ids[3:]) == sorted(
        r.json()["id"] for r in place_adds if r.status_code == 201
    )
    assert sorted(time_ids[9:]) == sorted(r.json()["id"] for r in time_adds if r.status_code == 201)
    by_id = {p["id"]: p for p in shown["place_options"]}
    for response in place_adds:
        if response.status_code == 201:
            assert by_id[response.json()["id"]] == response.json()
    assert tallies(shown) == expected(1, time_ids, place_ids)

    # Round 3: everybody votes on the places at once, two yes for each of the 20.
    responses = await asyncio.gather(
        *(
            api.put(
                f"/events/{event_id}/votes", p, json={"place_votes": {place_ids[i % 20]: "yes"}}
            )
            for i, p in enumerate(people)
        )
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    shown = await event_of(api, event_id, owner)
    assert ids(shown["place_options"]) == place_ids and ids(shown["time_options"]) == time_ids
    assert all(p["votes"] == {"yes": 2, "maybe": 0, "no": 0} for p in shown["place_options"])
    assert tallies(shown)["time"] == expected(1, time_ids, place_ids)["time"]  # left as they were
    for i in (0, 17, 39):
        mine = (await api.get(f"/events/{event_id}/votes", people[i])).json()
        assert mine == {
            "votes": keyed(ballot(i, 1)["votes"]),
            "place_votes": keyed({place_ids[i % 20]: "yes"}),
        }
