"""RSVPs through HTTP: guests, capacity, the waitlist and its promotion."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from rendezvous.core.db.engines import is_sqlite
from rendezvous.events.tables import Event
from tests.helpers import Api, Person, assert_error, propose, rsvp


async def _party(api: Api, size: int) -> tuple[int, Person, list[Person]]:
    owner = await api.signup("Olive")
    people = [await api.signup(f"P{i}") for i in range(size)]
    group_id = await api.group(owner)
    await api.join(group_id, owner, *people)
    return group_id, owner, people


async def _counts(api: Api, event_id: int, as_: Person) -> dict[str, int]:
    counts: dict[str, int] = (await api.get(f"/events/{event_id}", as_)).json()["rsvp_counts"]
    return counts


async def _list(api: Api, event_id: int, as_: Person) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await api.get(f"/events/{event_id}/rsvps", as_)).json()["items"]
    return items


async def test_answers_with_guests_and_notes(api: Api) -> None:
    group_id, owner, (ann, bob, cy) = await _party(api, 3)
    event = await propose(api, group_id, owner)
    assert await rsvp(api, event["id"], ann, "yes", guests=2, note="Bringing the twins") == {
        "user_id": ann.id,
        "status": "yes",
        "guests": 2,
        "waitlisted": False,
        "waitlist_position": None,
    }
    await rsvp(api, event["id"], bob, "maybe", guests=1)
    await rsvp(api, event["id"], cy, "no")
    assert await _counts(api, event["id"], owner) == {
        "yes": 1,
        "maybe": 1,
        "no": 1,
        "waitlisted": 0,
        "guests": 2,
    }
    listed = await _list(api, event["id"], owner)
    assert [(r["name"], r["status"]) for r in listed] == [
        ("P0", "yes"),
        ("P1", "maybe"),
        ("P2", "no"),
    ]
    assert listed[0]["note"] == "Bringing the twins"
    # change of mind, then withdrawal
    await rsvp(api, event["id"], ann, "maybe")
    assert (await _counts(api, event["id"], owner))["guests"] == 0
    assert (await api.delete(f"/events/{event['id']}/rsvp", ann)).status_code == 204
    assert_error(await api.delete(f"/events/{event['id']}/rsvp", ann), 404)
    assert await _counts(api, event["id"], owner) == {
        "yes": 0,
        "maybe": 1,
        "no": 1,
        "waitlisted": 0,
        "guests": 0,
    }


async def test_guests_take_seats_and_the_waitlist_is_first_come_first_served(api: Api) -> None:
    group_id, owner, people = await _party(api, 6)
    a, b, c, d, e, f = people
    event_id = (await propose(api, group_id, owner, capacity=6))["id"]
    assert (await rsvp(api, event_id, a, guests=2))["waitlisted"] is False  # 3 seats
    assert (await rsvp(api, event_id, b, guests=1))["waitlisted"] is False  # 5 seats
    waiting_c = await rsvp(api, event_id, c, guests=1)  # needs 2, 1 free
    assert (waiting_c["waitlisted"], waiting_c["waitlist_position"]) == (True, 1)
    # d would fit in the one free seat, but does not jump the queue
    assert (await rsvp(api, event_id, d))["waitlist_position"] == 2
    assert (await rsvp(api, event_id, e, guests=3))["waitlist_position"] == 3
    assert (await rsvp(api, event_id, f))["waitlist_position"] == 4
    assert await _counts(api, event_id, owner) == {
        "yes": 2,
        "maybe": 0,
        "no": 0,
        "waitlisted": 4,
        "guests": 3,
    }

    # b drops out: 3 seats free -> c (2) then d (1); e (4) does not fit and f waits behind e
    await rsvp(api, event_id, b, "no")
    listed = await _list(api, event_id, owner)
    seated = [r["user_id"] for r in listed if r["status"] == "yes" and not r["waitlisted"]]
    assert sorted(seated) == sorted([a.id, c.id, d.id])
    assert [(r["user_id"], r["waitlist_position"]) for r in listed if r["waitlisted"]] == [
        (e.id, 1),
        (f.id, 2),
    ]
    # e brings fewer guests while waiting: still doesn't fit, keeps the front place
    assert (await rsvp(api, event_id, e, guests=1))["waitlist_position"] == 1
    # a leaves: 3 free -> e (2) then f (1)
    assert (await api.delete(f"/events/{event_id}/rsvp", a)).status_code == 204
    assert await _counts(api, event_id, owner) == {
        "yes": 4,
        "maybe": 0,
        "no": 1,
        "waitlisted": 0,
        "guests": 2,
    }


async def test_waitlist_positions_stay_1_to_n_as_people_leave_it(api: Api) -> None:
    group_id, owner, people = await _party(api, 7)
    event_id = (await propose(api, group_id, owner, capacity=2))["id"]
    for person in people:
        await rsvp(api, event_id, person)
    await rsvp(api, event_id, people[3], "maybe")  # leaves the middle of the queue
    await api.delete(f"/events/{event_id}/rsvp", people[5])
    waiting = [r for r in await _list(api, event_id, owner) if r["waitlisted"]]
    assert [r["user_id"] for r in waiting] == [people[i].id for i in (2, 4, 6)]
    assert [r["waitlist_position"] for r in waiting] == [1, 2, 3]
    # answering yes again goes to the back
    assert (await rsvp(api, event_id, people[3]))["waitlist_position"] == 4


async def test_more_guests_need_free_seats(api: Api) -> None:
    group_id, owner, (ann, bob) = await _party(api, 2)
    event_id = (await propose(api, group_id, owner, capacity=5))["id"]
    await rsvp(api, event_id, ann, guests=1)
    await rsvp(api, event_id, bob, guests=1)
    assert_error(
        await api.put(f"/events/{event_id}/rsvp", ann, json={"status": "yes", "guests": 3}),
        409,
        "at most 2",
    )
    assert (await _list(api, event_id, owner))[0]["guests"] == 1  # unchanged
    assert (await rsvp(api, event_id, ann, guests=2))["waitlisted"] is False


async def test_capacity_changes_promote_but_never_unseat(api: Api) -> None:
    group_id, owner, people = await _party(api, 5)
    event_id = (await propose(api, group_id, owner, capacity=3))["id"]
    for person in people:
        await rsvp(api, event_id, person)
    assert (await api.patch(f"/events/{event_id}", owner, json={"capacity": 4})).json()[
        "rsvp_counts"
    ]["yes"] == 4
    lowered = (await api.patch(f"/events/{event_id}", owner, json={"capacity": 2})).json()
    assert lowered["rsvp_counts"]["yes"] == 4 and lowered["rsvp_counts"]["waitlisted"] == 1
    await rsvp(api, event_id, people[0], "no")  # 3 seated, still over: the waitlist waits
    assert (await _counts(api, event_id, owner))["waitlisted"] == 1
    unlimited = (await api.patch(f"/events/{event_id}", owner, json={"capacity": None})).json()
    assert unlimited["rsvp_counts"]["yes"] == 4 and unlimited["rsvp_counts"]["waitlisted"] == 0


async def test_leaving_the_group_gives_up_the_seat(api: Api) -> None:
    group_id, owner, (ann, bob) = await _party(api, 2)
    event = await propose(api, group_id, owner, capacity=1)
    await rsvp(api, event["id"], ann)
    await api.put(
        f"/events/{event['id']}/votes", ann, json={"votes": {event["time_options"][0]["id"]: "yes"}}
    )
    assert (await rsvp(api, event["id"], bob))["waitlist_position"] == 1
    assert (await api.delete(f"/groups/{group_id}/members/{ann.id}", ann)).status_code == 204
    listed = await _list(api, event["id"], owner)
    assert [(r["user_id"], r["waitlisted"]) for r in listed] == [(bob.id, False)]
    assert (await api.get(f"/events/{event['id']}", owner)).json()["time_options"][0]["votes"][
        "yes"
    ] == 0


async def test_no_rsvps_to_cancelled_or_started_events(api: Api) -> None:
    group_id, owner, (ann,) = await _party(api, 1)
    event_id = (await propose(api, group_id, owner))["id"]
    await rsvp(api, event_id, ann)
    await api.post(f"/events/{event_id}/cancel", owner)
    assert_error(
        await api.put(f"/events/{event_id}/rsvp", ann, json={"status": "no"}), 409, "cancelled"
    )
    assert_error(await api.delete(f"/events/{event_id}/rsvp", ann), 409, "cancelled")
    assert (await _counts(api, event_id, owner))["yes"] == 1

    started = (await propose(api, group_id, owner))["id"]
    await api.post(f"/events/{started}/confirm", owner)
    await Event.update({Event.starts_at: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Event.id == started
    )
    assert_error(
        await api.put(f"/events/{started}/rsvp", ann, json={"status": "yes"}), 409, "started"
    )


async def test_rsvps_are_allowed_while_proposed_and_once_confirmed(api: Api) -> None:
    group_id, owner, (ann,) = await _party(api, 1)
    event_id = (await propose(api, group_id, owner))["id"]
    await rsvp(api, event_id, ann, "maybe")
    await api.post(f"/events/{event_id}/confirm", owner)
    assert (await rsvp(api, event_id, ann, "yes"))["status"] == "yes"


async def test_bad_rsvps_change_nothing(api: Api) -> None:
    group_id, owner, (ann,) = await _party(api, 1)
    event_id = (await propose(api, group_id, owner))["id"]
    await rsvp(api, event_id, ann, guests=1, note="hi")
    for body in (
        {"status": "attending"},
        {"status": "yes", "guests": 11},
        {"status": "yes", "guests": -1},
        {"status": "yes", "guests": "2"},
        {"status": "yes", "note": "n" * 5001},
        {"guests": 1},
        {"status": "yes", "waitlisted": False},
        {"status": "yes", "user_id": owner.id},
    ):
        assert_error(await api.put(f"/events/{event_id}/rsvp", ann, json=body), 400)
    [entry] = await _list(api, event_id, owner)
    assert (entry["status"], entry["guests"], entry["note"]) == ("yes", 1, "hi")


async def test_rsvp_list_pages(api: Api) -> None:
    group_id, owner, people = await _party(api, 5)
    event_id = (await propose(api, group_id, owner, capacity=2))["id"]
    for person in people:
        await rsvp(api, event_id, person)
    page = (
        await api.get(f"/events/{event_id}/rsvps", owner, params={"limit": 2, "offset": 2})
    ).json()
    assert page["total"] == 5 and [r["waitlist_position"] for r in page["items"]] == [1, 2]


async def test_an_answer_that_waited_for_the_lock_sees_what_its_holder_committed(
    api: Api,
) -> None:
    """On PostgreSQL an answer locks the event and reads the seating in one statement,
    whose rows come from before any wait for the lock: it must notice that the holder
    committed meanwhile and read again. Here the holder takes the only seat."""
    if is_sqlite():
        pytest.skip("SQLite runs one writer at a time: nobody commits while an answer waits")
    group_id, owner, (ann, bob) = await _party(api, 2)
    event_id = (await propose(api, group_id, owner, capacity=1))["id"]
    holder = await asyncpg.connect(os.environ["RENDEZVOUS_DATABASE_URL"])
    try:
        holding = holder.transaction()
        await holding.start()
        await holder.execute("UPDATE event SET revision = revision + 1 WHERE id = $1", event_id)
        # Ann's yes, as the app would store it
        await holder.execute(
            'INSERT INTO rsvp (event, "user", status, guests, note, waitlisted, responded_at) '
            "VALUES ($1, $2, 'yes', 0, '', false, now())",
            event_id,
            ann.id,
        )
        answer = asyncio.create_task(rsvp(api, event_id, bob, "yes"))
        while not await holder.fetchval(  # until Bob's answer waits for the event's lock
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ):
            assert not answer.done(), answer.result()
            await asyncio.sleep(0.01)
        await holding.commit()
        assert (await answer)["waitlist_position"] == 1  # not a second seat of one
    finally:
        await holder.close()
    assert (await _counts(api, event_id, owner))["yes"] == 1
