"""Each worker keeps its venue-suggestion answers: repeated requests are not computed
again, and every kind of change reaches the next suggestion (through HTTP)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rendezvous.core.db.engines import is_sqlite
from rendezvous.core.lru import Lru
from rendezvous.geo import suggestions
from tests.api.test_geo import UK_HOMES, uk_group
from tests.helpers import Api, Person, propose, rsvp

STRATEGIES = ("total", "fair")


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many participants each computed (not cached) answer was for."""
    calls: list[int] = []
    solve = suggestions.suggest

    def counting(rows: list[dict[str, Any]], *args: Any) -> Any:
        calls.append(len(rows))
        return solve(rows, *args)

    monkeypatch.setattr(suggestions, "suggest", counting)
    return calls


async def suggested(api: Api, path: str, person: Person, **params: Any) -> dict[str, Any]:
    response = await api.get(path, person, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


async def everyone_sees(api: Api, paths: list[str], person: Person) -> list[dict[str, Any]]:
    """Both strategies on every path: what a worker now keeps."""
    return [
        await suggested(api, path, person, strategy=strategy)
        for path in paths
        for strategy in STRATEGIES
    ]


def who(body: dict[str, Any]) -> set[int]:
    """The located participants, as the best suggestion lists them."""
    ids = {distance["user_id"] for distance in body["suggestions"][0]["distances"]}
    assert len(ids) == body["participants"]
    return ids


def distance_of(body: dict[str, Any], person: Person) -> float:
    best = body["suggestions"][0]
    return float(next(d["km"] for d in best["distances"] if d["user_id"] == person.id))


async def group_and_event(api: Api) -> tuple[list[str], dict[str, Person], int, int]:
    """The UK group, a proposal nobody has answered (so it is for everyone), and the
    paths of both suggestions."""
    group_id, people = await uk_group(api)
    event = await propose(api, group_id, people["Alison"])
    paths = [f"/groups/{group_id}/venue-suggestions", f"/events/{event['id']}/venue-suggestions"]
    return paths, people, group_id, event["id"]


# --- the worker keeps its answers ------------------------------------------------------


async def test_a_repeated_request_is_not_computed_again(api: Api, computed: list[int]) -> None:
    paths, people, _, _ = await group_and_event(api)
    first = await api.get(paths[0], people["Bronwen"])
    again = await api.get(paths[0], people["Catriona"])  # the answer is the same for all
    assert again.status_code == 200 and again.content == first.content
    assert len(computed) == 1
    # Each strategy, limit and path is an answer of its own.
    await api.get(paths[0], people["Bronwen"], params={"strategy": "fair"})
    three = await suggested(api, paths[0], people["Bronwen"], limit=3)
    await api.get(paths[1], people["Bronwen"])
    await api.get(paths[1], people["Bronwen"])
    assert len(computed) == 4
    assert len(three["suggestions"]) == 3


async def test_requests_that_miss_together_compute_once(api: Api, computed: list[int]) -> None:
    paths, people, _, _ = await group_and_event(api)
    responses = await asyncio.gather(*(api.get(paths[0], p) for p in people.values()))
    assert all(r.status_code == 200 for r in responses)
    assert len({r.content for r in responses}) == 1
    assert len(computed) == 1


def test_the_cache_keeps_within_its_budget() -> None:
    cache: Lru[str, bytes] = Lru(max_weight=10, weigh=len)
    cache.put("a", b"1234")
    cache.put("b", b"5678")
    assert cache.get("a") == b"1234"  # now the most recently used
    cache.put("c", b"90ab")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1234", None, b"90ab")
    cache.put("huge", b"x" * 11)
    assert cache.get("huge") is None and len(cache) == 2


# --- every change reaches the next suggestion ------------------------------------------


async def test_a_member_joining_reaches_the_next_suggestion(api: Api) -> None:
    paths, people, group_id, _ = await group_and_event(api)
    before = await everyone_sees(api, paths, people["Deborah"])
    gwen = await api.signup("Gwen", region="Inverness, UK")
    hamish = await api.signup("Hamish")  # no region: joins the unlocated
    await api.join(group_id, people["Alison"], gwen, hamish)
    after = await everyone_sees(api, paths, people["Deborah"])
    for old, new in zip(before, after, strict=True):
        assert who(new) == who(old) | {gwen.id}
        assert new["unlocated"] == [hamish.id]
        assert new["center"] != old["center"]


async def test_members_leaving_or_removed_reach_the_next_suggestion(api: Api) -> None:
    paths, people, group_id, _ = await group_and_event(api)
    before = await everyone_sees(api, paths, people["Deborah"])
    leaving, removed = people["Catriona"], people["Eilidh"]
    response = await api.delete(f"/groups/{group_id}/members/{leaving.id}", leaving)
    assert response.status_code == 204, response.text
    after_leaving = await everyone_sees(api, paths, people["Deborah"])
    response = await api.delete(f"/groups/{group_id}/members/{removed.id}", people["Alison"])
    assert response.status_code == 204, response.text
    after_removal = await everyone_sees(api, paths, people["Deborah"])
    for old, left, cut in zip(before, after_leaving, after_removal, strict=True):
        assert who(left) == who(old) - {leaving.id}
        assert who(cut) == who(old) - {leaving.id, removed.id}


async def test_a_members_move_reaches_the_next_suggestion_in_each_of_their_groups(
    api: Api,
) -> None:
    paths, people, _, _ = await group_and_event(api)
    mover = people["Eilidh"]  # from Plymouth
    # A second group of hers, whose answers must move too.
    other = await api.group(mover, name="Walkers")
    await api.join(other, mover, people["Deborah"])
    paths.append(f"/groups/{other}/venue-suggestions")
    before = await everyone_sees(api, paths, people["Deborah"])
    response = await api.patch("/me", mover, json={"region": "Inverness, UK"})
    assert response.status_code == 200, response.text
    moved = await everyone_sees(api, paths, people["Deborah"])
    for old, new in zip(before, moved, strict=True):
        assert who(new) == who(old)
        assert new["center"] != old["center"]
        assert new["suggestions"][0]["distances"] != old["suggestions"][0]["distances"]
    # Moving back gives the first answers again.
    await api.patch("/me", mover, json={"region": UK_HOMES["Eilidh"][0]})
    assert await everyone_sees(api, paths, people["Deborah"]) == before
    # Without a region she is listed, not placed.
    await api.patch("/me", mover, json={"region": None})
    for old, new in zip(before, await everyone_sees(api, paths, people["Deborah"]), strict=True):
        assert who(new) == who(old) - {mover.id}
        assert new["unlocated"] == [mover.id]


async def test_rsvp_changes_reach_the_next_event_suggestion(api: Api) -> None:
    paths, people, group_id, event_id = await group_and_event(api)
    path = paths[1]
    viewer = people["Deborah"]
    everyone = set(who(await suggested(api, path, viewer)))
    assert len(everyone) == len(UK_HOMES)

    async def coming() -> set[int]:
        answers = [await suggested(api, path, viewer, strategy=s) for s in STRATEGIES]
        assert who(answers[0]) == who(answers[1])
        return who(answers[0])

    catriona, fiona, alison = people["Catriona"], people["Fiona"], people["Alison"]
    await rsvp(api, event_id, catriona, "yes")
    assert await coming() == {catriona.id}
    await rsvp(api, event_id, fiona, "maybe")
    assert await coming() == {catriona.id, fiona.id}
    await rsvp(api, event_id, alison, "no")
    assert await coming() == {catriona.id, fiona.id}
    await rsvp(api, event_id, fiona, "no")  # a change of mind
    assert await coming() == {catriona.id}
    await rsvp(api, event_id, alison, "yes", guests=2)
    assert await coming() == {catriona.id, alison.id}
    response = await api.delete(f"/events/{event_id}/rsvp", catriona)  # an answer withdrawn
    assert response.status_code == 204, response.text
    assert await coming() == {alison.id}
    # Someone who said yes leaves the group: their answer goes with them.
    await api.set_role(group_id, alison, people["Bronwen"], "owner")
    response = await api.delete(f"/groups/{group_id}/members/{alison.id}", alison)
    assert response.status_code == 204, response.text
    assert await coming() == everyone - {alison.id}  # nobody coming: everyone counts


async def test_venue_changes_reach_the_next_event_suggestion(api: Api) -> None:
    paths, people, _, event_id = await group_and_event(api)
    path, viewer, alison = paths[1], people["Deborah"], people["Alison"]

    async def venues() -> list[dict[str, Any]]:
        answer = await suggested(api, path, viewer, limit=20)
        return [s for s in answer["suggestions"] if s["kind"] == "venue"]

    assert await venues() == []
    # At the centre (of least travel in all), the venue is always among the best 20.
    centre = (await suggested(api, path, viewer))["center"]
    inn = {"name": "The Middle Inn", **centre}
    for change in (
        {"venue": inn},
        {"venue": {**inn, "name": "The Middle Arms"}},
        {"venue": {**inn, "address": "1 High Street"}},
        {"venue": {**inn, "latitude": inn["latitude"] + 0.1}},
    ):
        response = await api.patch(f"/events/{event_id}", alison, json=change)
        assert response.status_code == 200, response.text
        (venue,) = await venues()
        expected = change["venue"]
        assert venue["name"] == expected["name"]
        assert venue["label"].endswith(expected.get("address") or expected["name"])
        assert (venue["latitude"], venue["longitude"]) == pytest.approx(
            (expected["latitude"], expected["longitude"]), abs=1e-5
        )
    response = await api.patch(f"/events/{event_id}", alison, json={"venue": None})
    assert response.status_code == 200, response.text
    assert await venues() == []
    # Confirming with a venue sets it too.
    confirmed = {**inn, "name": "The Crown", "latitude": inn["latitude"] - 0.05}
    response = await api.post(f"/events/{event_id}/confirm", alison, json={"venue": confirmed})
    assert response.status_code == 200, response.text
    assert [v["name"] for v in await venues()] == ["The Crown"]


async def test_a_later_group_or_event_that_reuses_an_id_gets_its_own_answer(api: Api) -> None:
    # SQLite hands the highest id out again once its row is gone: the new group and its
    # event get the same ids and, with as many members joining, the same change counts.
    paths, people, group_id, event_id = await group_and_event(api)
    before = await everyone_sees(api, paths, people["Alison"])
    response = await api.delete(f"/groups/{group_id}", people["Alison"])
    assert response.status_code == 204, response.text
    regions = ["Penzance", "Aberdeen", "Dundee", "Inverness", "Stirling", "Swansea"]
    newcomers = [await api.signup(f"N{i}", region=f"{r}, UK") for i, r in enumerate(regions)]
    new_group = await api.group(newcomers[0])
    await api.join(new_group, newcomers[0], *newcomers[1:])
    event = await propose(api, new_group, newcomers[0])
    new_paths = [
        f"/groups/{new_group}/venue-suggestions",
        f"/events/{event['id']}/venue-suggestions",
    ]
    if is_sqlite():
        assert (new_group, event["id"]) == (group_id, event_id)
    after = await everyone_sees(api, new_paths, newcomers[0])
    for old, new in zip(before, after, strict=True):
        assert who(new) == {person.id for person in newcomers} and who(old) != who(new)
