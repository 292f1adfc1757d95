"""Proposals, votes, confirmation, edits and cancellation through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from rendezvous.events.tables import Event, TimeOption
from tests.helpers import SATURDAYS, Api, Person, assert_error, circle, propose


async def test_a_member_proposes_a_meetup(api: Api) -> None:
    group_id, _, _, member, _ = await circle(api)
    response = await api.post(
        f"/groups/{group_id}/events",
        member,
        json={
            "title": "Spring meet-up",
            "description": "Lunch, then a walk",
            "timezone": "Europe/London",
            "time_options": SATURDAYS,
            "capacity": 8,
            "venue": {"name": "The Crown", "address": "1 High St, York"},
        },
    )
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["group_id"] == group_id and event["created_by"] == member.id
    assert event["status"] == "proposed" and event["sequence"] == 0
    assert event["start"] is None and event["end"] is None
    assert event["capacity"] == 8
    venue = event["venue"]
    assert (venue["name"], venue["address"]) == ("The Crown", "1 High St, York")
    # Located from the address, as well as the gazetteer knows it: York.
    assert abs(venue["latitude"] - 53.96) < 0.05 and abs(venue["longitude"] + 1.08) < 0.05
    assert event["rsvp_counts"] == {"yes": 0, "maybe": 0, "no": 0, "waitlisted": 0, "guests": 0}
    # in the order submitted, as UTC instants
    assert [(o["start"], o["end"]) for o in event["time_options"]] == [
        ("2027-03-06T12:00:00Z", "2027-03-06T17:00:00Z"),
        ("2027-03-13T12:00:00Z", "2027-03-13T17:00:00Z"),
        ("2027-04-03T11:00:00Z", "2027-04-03T16:00:00Z"),
    ]
    assert all(o["votes"] == {"yes": 0, "maybe": 0, "no": 0} for o in event["time_options"])
    assert (await api.get(f"/events/{event['id']}", member)).json() == event


async def test_the_whole_flow_propose_vote_confirm_edit_cancel(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    event = await propose(api, group_id, member)
    event_id = event["id"]
    first, second, third = (o["id"] for o in event["time_options"])

    async def vote(person: Person, votes: dict[int, str]) -> dict[str, Any]:
        response = await api.put(f"/events/{event_id}/votes", person, json={"votes": votes})
        assert response.status_code == 200, response.text
        return response.json()

    assert await vote(owner, {first: "yes", second: "no"}) == {
        "votes": {str(first): "yes", str(second): "no"},
        "place_votes": {},
    }
    await vote(admin, {second: "yes", third: "maybe"})
    await vote(member, {first: "no", second: "yes"})
    # a re-vote replaces the earlier ballot entirely
    await vote(owner, {second: "yes", third: "yes"})
    assert (await api.get(f"/events/{event_id}/votes", owner)).json() == {
        "votes": {str(second): "yes", str(third): "yes"},
        "place_votes": {},
    }
    tallies = {
        o["id"]: o["votes"]
        for o in (await api.get(f"/events/{event_id}", owner)).json()["time_options"]
    }
    assert tallies == {
        first: {"yes": 0, "maybe": 0, "no": 1},
        second: {"yes": 3, "maybe": 0, "no": 0},
        third: {"yes": 1, "maybe": 1, "no": 0},
    }

    confirmed = await api.post(f"/events/{event_id}/confirm", member)  # the proposer
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "confirmed" and body["sequence"] == 1
    assert (body["start"], body["end"]) == ("2027-03-13T12:00:00Z", "2027-03-13T17:00:00Z")
    assert_error(
        await api.put(f"/events/{event_id}/votes", owner, json={"votes": {}}), 409, "closed"
    )
    assert_error(await api.post(f"/events/{event_id}/confirm", owner), 409)

    edited = await api.patch(f"/events/{event_id}", admin, json={"title": "Spring lunch"})
    assert edited.json()["title"] == "Spring lunch" and edited.json()["sequence"] == 2
    same = await api.patch(f"/events/{event_id}", admin, json={"title": "Spring lunch"})
    assert same.json()["sequence"] == 2  # nothing changed, nothing for calendars to pick up
    seats = await api.patch(f"/events/{event_id}", admin, json={"capacity": 12})
    assert seats.json()["capacity"] == 12 and seats.json()["sequence"] == 2
    venue = await api.patch(
        f"/events/{event_id}", owner, json={"venue": {"name": "Bettys"}, "description": "Tea"}
    )
    assert venue.json()["venue"]["name"] == "Bettys" and venue.json()["sequence"] == 3
    cleared = await api.patch(f"/events/{event_id}", owner, json={"venue": None})
    assert cleared.json()["venue"] is None and cleared.json()["sequence"] == 4

    cancelled = await api.post(f"/events/{event_id}/cancel", owner)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["sequence"] == 5
    assert_error(await api.post(f"/events/{event_id}/cancel", owner), 409)
    assert_error(await api.patch(f"/events/{event_id}", owner, json={"title": "Back on"}), 409)
    assert (await api.get(f"/events/{event_id}", member)).json()["sequence"] == 5


async def test_confirm_a_chosen_option_with_a_venue(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(api, group_id, member)
    third = event["time_options"][2]["id"]
    response = await api.post(
        f"/events/{event['id']}/confirm",
        owner,
        json={"option_id": third, "venue": {"name": "Museum cafe"}},
    )
    body = response.json()
    assert (body["start"], body["end"]) == ("2027-04-03T11:00:00Z", "2027-04-03T16:00:00Z")
    assert body["venue"]["name"] == "Museum cafe"


async def test_best_option_ties_go_to_maybe_then_the_earliest(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    event = await propose(api, group_id, owner)
    _first, second, third = (o["id"] for o in event["time_options"])
    await api.put(
        f"/events/{event['id']}/votes", owner, json={"votes": {second: "yes", third: "yes"}}
    )
    await api.put(f"/events/{event['id']}/votes", admin, json={"votes": {third: "maybe"}})
    assert (await api.post(f"/events/{event['id']}/confirm", owner)).json()[
        "start"
    ] == "2027-04-03T11:00:00Z"

    tie = await propose(api, group_id, owner)
    a, b, _ = (o["id"] for o in tie["time_options"])
    await api.put(f"/events/{tie['id']}/votes", member, json={"votes": {b: "yes", a: "yes"}})
    assert (await api.post(f"/events/{tie['id']}/confirm", owner)).json()[
        "start"
    ] == "2027-03-06T12:00:00Z"


async def test_votes_for_options_of_another_event_are_refused(api: Api) -> None:
    group_id, owner, _, _, _ = await circle(api)
    event, other = await propose(api, group_id, owner), await propose(api, group_id, owner)
    mine = event["time_options"][0]["id"]
    foreign = other["time_options"][0]["id"]
    await api.put(f"/events/{event['id']}/votes", owner, json={"votes": {mine: "yes"}})
    response = await api.put(
        f"/events/{event['id']}/votes", owner, json={"votes": {mine: "no", foreign: "yes"}}
    )
    assert_error(response, 400, str(foreign))
    assert (await api.get(f"/events/{event['id']}/votes", owner)).json() == {
        "votes": {str(mine): "yes"},
        "place_votes": {},
    }
    for bad in (
        {"votes": {mine: "perhaps"}},
        {"votes": {"first": "yes"}},
        {"votes": []},
        {},
        {"votes": {mine: "yes"}, "x": 1},
    ):
        assert_error(await api.put(f"/events/{event['id']}/votes", owner, json=bad), 400)
    assert_error(
        await api.post(f"/events/{event['id']}/confirm", owner, json={"option_id": foreign}),
        400,
        "not a time option",
    )
    assert (await api.get(f"/events/{event['id']}", owner)).json()["status"] == "proposed"


async def test_permissions(api: Api) -> None:
    group_id, owner, admin, member, outsider = await circle(api)
    event = await propose(api, group_id, owner)
    event_id = event["id"]
    # a plain member who did not propose it may vote and RSVP, not organise
    for method, path, body in [
        ("PATCH", f"/events/{event_id}", {"title": "Mine"}),
        ("POST", f"/events/{event_id}/confirm", None),
        ("POST", f"/events/{event_id}/cancel", None),
    ]:
        assert_error(await api.request(method, path, member, json=body), 403)
    assert (
        await api.put(f"/events/{event_id}/votes", member, json={"votes": {}})
    ).status_code == 200
    # an outsider learns nothing, not even that the event exists
    for method, path, body in [
        ("GET", f"/events/{event_id}", None),
        ("PATCH", f"/events/{event_id}", {"title": "Mine"}),
        ("PUT", f"/events/{event_id}/votes", {"votes": {}}),
        ("GET", f"/events/{event_id}/votes", None),
        ("POST", f"/events/{event_id}/confirm", None),
        ("POST", f"/events/{event_id}/cancel", None),
        ("PUT", f"/events/{event_id}/rsvp", {"status": "yes"}),
        ("DELETE", f"/events/{event_id}/rsvp", None),
        ("GET", f"/events/{event_id}/rsvps", None),
        ("GET", f"/groups/{group_id}/events", None),
        (
            "POST",
            f"/groups/{group_id}/events",
            {"title": "x", "timezone": "UTC", "time_options": SATURDAYS},
        ),
    ]:
        response = await api.request(method, path, outsider, json=body)
        assert_error(response, 404)
        missing = await api.request(
            method, path.replace(str(event_id), "999999"), outsider, json=body
        )
        assert missing.status_code == 404
    # the admin may organise an event somebody else proposed
    assert (
        await api.patch(f"/events/{event_id}", admin, json={"title": "Ours"})
    ).status_code == 200
    unchanged = (await api.get(f"/events/{event_id}", owner)).json()
    assert unchanged["title"] == "Ours" and unchanged["status"] == "proposed"


async def test_list_events_filters_pages_and_puts_newest_first(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    ids = [(await propose(api, group_id, owner, title=f"E{i}"))["id"] for i in range(4)]
    await api.post(f"/events/{ids[1]}/confirm", owner)
    await api.post(f"/events/{ids[2]}/cancel", owner)
    listed = (await api.get(f"/groups/{group_id}/events", member)).json()
    assert [e["id"] for e in listed["items"]] == ids[::-1] and listed["total"] == 4
    assert all(len(e["time_options"]) == 3 for e in listed["items"])
    oldest = (
        await api.get(f"/groups/{group_id}/events", member, params={"order": "oldest", "limit": 2})
    ).json()
    assert [e["id"] for e in oldest["items"]] == ids[:2] and oldest["total"] == 4
    for status, expected in [
        ("proposed", [ids[3], ids[0]]),
        ("confirmed", [ids[1]]),
        ("cancelled", [ids[2]]),
    ]:
        page = (
            await api.get(f"/groups/{group_id}/events", member, params={"status": status})
        ).json()
        assert [e["id"] for e in page["items"]] == expected and page["total"] == len(expected)
    assert_error(
        await api.get(f"/groups/{group_id}/events", member, params={"status": "done"}), 400
    )
    assert_error(
        await api.get(f"/groups/{group_id}/events", member, params={"order": "random"}), 400
    )
    assert_error(await api.get(f"/groups/{group_id}/events", member, params={"limit": 201}), 400)
    other_group = await api.group(owner, "Other")
    assert (await api.get(f"/groups/{other_group}/events", owner)).json()["items"] == []


def _option(start: str, end: str) -> dict[str, str]:
    return {"start": start, "end": end}


INVALID_PROPOSALS: list[tuple[dict[str, Any], list[str]]] = [
    ({"time_options": []}, ["time_options"]),
    (
        {
            "time_options": [
                _option(f"2027-01-{d:02d}T10:00:00Z", f"2027-01-{d:02d}T11:00:00Z")
                for d in range(1, 22)
            ]
        },
        ["time_options"],
    ),
    (
        {"time_options": [_option("2027-01-01T12:00:00Z", "2027-01-01T11:00:00Z")]},
        ["end must be after"],
    ),
    (
        {"time_options": [_option("2027-01-01T12:00:00Z", "2027-01-01T12:00:00Z")]},
        ["end must be after"],
    ),
    ({"time_options": [_option("2027-01-01T12:00:00", "2027-01-01T13:00:00")]}, ["timezone"]),
    ({"time_options": [_option("2027-01-01T12:00:00Z", "2027-01-30T12:00:00Z")]}, ["14 days"]),
    ({"time_options": [_option("2027-01-01T12:00:00Z", "2027-01-01T13:00:00Z")] * 2}, ["twice"]),
    ({"time_options": [_option("next saturday", "2027-01-01T13:00:00Z")]}, ["start"]),
    ({"time_options": [{"start": "2027-01-01T12:00:00Z"}]}, ["end"]),
    ({"timezone": "Mars/Olympus"}, ["time zone"]),
    ({"timezone": ""}, ["timezone"]),
    ({"capacity": 0}, ["capacity"]),
    ({"capacity": -3}, ["capacity"]),
    ({"capacity": "10"}, ["capacity"]),
    ({"capacity": 10001}, ["capacity"]),
    ({"title": ""}, ["title"]),
    ({"title": "   "}, ["title"]),
    ({"title": "t" * 201}, ["title"]),
    ({"description": "d" * 5001}, ["description"]),
    ({"venue": {"address": "nowhere"}}, ["name"]),
    ({"venue": {"name": "x", "latitude": 1}}, ["longitude"]),
    ({"venue": {"name": "x", "latitude": 91, "longitude": 0}}, ["latitude"]),
    ({"venue": {"name": "x", "lat": 1}}, ["unknown field"]),
    ({"status": "confirmed"}, ["unknown field"]),
    ({"sequence": 5}, ["unknown field"]),
]


@pytest.mark.parametrize(("change", "words"), INVALID_PROPOSALS)
async def test_invalid_proposals_are_refused_and_store_nothing(
    api: Api, change: dict[str, Any], words: list[str]
) -> None:
    owner = await api.signup("Olive")
    group_id = await api.group(owner)
    body = {"title": "Meet-up", "timezone": "Europe/London", "time_options": SATURDAYS, **change}
    assert_error(await api.post(f"/groups/{group_id}/events", owner, json=body), 400, *words)
    assert await Event.count() == 0 and await TimeOption.count() == 0


async def test_patch_may_change_only_title_description_venue_and_capacity(api: Api) -> None:
    group_id, owner, _, _, _ = await circle(api)
    event = await propose(api, group_id, owner, capacity=5)
    for body in (
        {"status": "confirmed"},
        {"sequence": 9},
        {"group_id": 2},
        {"id": 1},
        {"time_options": SATURDAYS},
        {"start": "2027-01-01T00:00:00Z"},
        {"capacity": 0},
        {"title": None},
        {"description": None},
    ):
        assert_error(await api.patch(f"/events/{event['id']}", owner, json=body), 400)
    after = (await api.get(f"/events/{event['id']}", owner)).json()
    assert after == event
    unlimited = await api.patch(f"/events/{event['id']}", owner, json={"capacity": None})
    assert unlimited.json()["capacity"] is None and unlimited.json()["sequence"] == 0


async def test_deleting_a_group_deletes_its_events(api: Api) -> None:
    group_id, owner, _, _, _ = await circle(api)
    event = await propose(api, group_id, owner)
    assert (await api.delete(f"/groups/{group_id}", owner)).status_code == 204
    assert_error(await api.get(f"/events/{event['id']}", owner), 404)
    assert await Event.count() == 0 and await TimeOption.count() == 0


async def test_an_event_read_follows_every_change_to_its_votes_and_rsvps(api: Api) -> None:
    """Workers keep an event's tallies between reads (keyed by its revision); every
    kind of change must reach the next read, which here always follows a read that
    filled the cache."""
    group_id, owner, admin, member, _ = await circle(api)
    event = await propose(api, group_id, owner, capacity=2)
    path = f"/events/{event['id']}"
    first = event["time_options"][0]["id"]

    async def read() -> tuple[dict[str, int], dict[str, int]]:
        body = (await api.get(path, owner)).json()
        return body["time_options"][0]["votes"], body["rsvp_counts"]

    async def change(method: str, url: str, who: Person, **kw: Any) -> tuple[Any, Any]:
        await read()  # fills the cache before the change
        response = await api.request(method, url, who, **kw)
        assert response.status_code in (200, 204), response.text
        return await read()

    def counts(
        yes: int = 0, maybe: int = 0, no: int = 0, waitlisted: int = 0, guests: int = 0
    ) -> dict[str, int]:
        return {"yes": yes, "maybe": maybe, "no": no, "waitlisted": waitlisted, "guests": guests}

    votes, _ = await change("PUT", f"{path}/votes", member, json={"votes": {str(first): "yes"}})
    assert votes == {"yes": 1, "maybe": 0, "no": 0}
    votes, _ = await change("PUT", f"{path}/votes", member, json={"votes": {str(first): "no"}})
    assert votes == {"yes": 0, "maybe": 0, "no": 1}
    _, rsvps = await change("PUT", f"{path}/rsvp", member, json={"status": "yes", "guests": 1})
    assert rsvps == counts(yes=1, guests=1)
    _, rsvps = await change("PUT", f"{path}/rsvp", admin, json={"status": "yes"})
    assert rsvps == counts(yes=1, guests=1, waitlisted=1)
    _, rsvps = await change("PUT", f"{path}/rsvp", member, json={"status": "yes", "guests": 0})
    assert rsvps == counts(yes=2)  # the admin was promoted
    _, rsvps = await change("PUT", f"{path}/rsvp", owner, json={"status": "yes"})
    assert rsvps == counts(yes=2, waitlisted=1)
    _, rsvps = await change("PATCH", path, owner, json={"capacity": 3})
    assert rsvps == counts(yes=3)
    _, rsvps = await change("DELETE", f"{path}/rsvp", admin)
    assert rsvps == counts(yes=2)
    _, rsvps = await change("DELETE", f"{path}/rsvp", member)
    assert rsvps == counts(yes=1)
    # leaving the group takes the member's votes with them (no answer to withdraw here)
    votes, rsvps = await change("DELETE", f"/groups/{group_id}/members/{member.id}", member)
    assert votes == {"yes": 0, "maybe": 0, "no": 0}
    assert rsvps == counts(yes=1)
