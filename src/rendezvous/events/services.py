"""Events: proposals, votes, confirmation, edits and cancellation.

Every change to an event runs in one write transaction that first touches the event
(core.freshness), locking its row, so that votes, confirmation, edits and RSVPs to one
event never interleave. A change calendars show (an edit, a confirmation, a cancellation)
touches the event's group first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from rendezvous.core.db.sql import Row
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, DomainError, Invalid, NotFound
from rendezvous.core.freshness import WorkerCaches
from rendezvous.core.geocoding import Geocoder, Travel
from rendezvous.core.schemas import Page
from rendezvous.events import announce, queries
from rendezvous.events.rsvps import reseat
from rendezvous.events.schemas import (
    Confirm,
    Event,
    EventCreate,
    EventUpdate,
    MyVotes,
    Status,
    VenueIn,
    Votes,
    same_place,
)
from rendezvous.events.tables import Event as EventRow
from rendezvous.events.tally import best_option, tally
from rendezvous.groups.queries import lock_group, role_of
from rendezvous.groups.schemas import Role


@dataclass(frozen=True, slots=True)
class Access:
    """What a guard (or the by-token dependency) learns about an event and the caller."""

    event_id: int
    user_id: int  # the caller
    group_id: int
    created_by: int | None
    role: Role
    row: Row  # the event as it was read, before the handler ran


async def find_access(event_id: int, user_id: int) -> Access | None:
    """None when the event does not exist or the caller is not in its group."""
    row = await queries.event_row(event_id)
    if row is None:
        return None
    role = await role_of(row["group"], user_id)
    if role is None:
        return None
    return Access(event_id, user_id, row["group"], row["created_by"], role, row)  # type: ignore[arg-type]


def access_from(row: Row) -> Access | None:
    """The access a one-statement read found (queries.event_for_token); None when the
    event is not the caller's to see."""
    if row["caller_role"] is None:
        return None
    return Access(
        row["id"], row["caller_id"], row["group"], row["created_by"], row["caller_role"], row
    )


async def get_event(access: Access, caches: WorkerCaches) -> Event:
    """The event as the guard read it, with its tallies: cached, unless the event's
    revision (read in the same statement) moved on."""
    row = access.row
    tallies = await caches.event_tallies.get_or_compute(
        (row["ical_uid"], row["revision"]), lambda: _tallies(row["id"])
    )
    return queries.event_from(row, tallies)


async def _tallies(event_id: int) -> queries.Tallies:
    return (await queries.tallies_of([event_id]))[event_id]


async def _reread(event_id: int) -> Event:
    """The event as a change just left it."""
    row = await queries.event_row(event_id)
    if row is None:
        raise NotFound("Event not found")
    return (await queries.build_events([row]))[0]


async def list_events(
    group_id: int, status: Status | None, newest_first: bool, limit: int, offset: int
) -> Page[Event]:
    rows, total = await queries.event_rows(group_id, status, newest_first, limit, offset)
    return Page(items=await queries.build_events(rows), limit=limit, offset=offset, total=total)


# --- venues --------------------------------------------------------------------------

Point = tuple[float, float] | None


async def locate(venue: VenueIn | None, geocoder: Geocoder) -> Point:
    """Where a venue is: as given, or looked up (before any write transaction starts).

    Best effort: a venue is often a pub or a park that no gazetteer knows, and an event
    must not fail to save because of it, so a miss (or an unavailable geocoder) leaves the
    venue without coordinates."""
    if venue is None:
        return None
    if venue.latitude is not None and venue.longitude is not None:
        return venue.latitude, venue.longitude
    for text in (venue.address, venue.name):
        if not text:
            continue
        try:
            results = await geocoder.search(text, 1)
        except DomainError:
            return None
        if results:
            return results[0].latitude, results[0].longitude
    return None


def _venue_columns(venue: VenueIn | None, point: Point) -> dict[Any, Any]:
    return {
        EventRow.venue_name: venue.name if venue else None,
        EventRow.venue_address: venue.address if venue else None,
        EventRow.venue_latitude: point[0] if point else None,
        EventRow.venue_longitude: point[1] if point else None,
    }


def _venue_changed(event: Row, venue: VenueIn | None, point: Point) -> bool:
    columns = _venue_columns(venue, point)
    return any(event[column._meta.name] != value for column, value in columns.items())


# --- proposals -----------------------------------------------------------------------


async def create_event(group_id: int, user_id: int, data: EventCreate, geocoder: Geocoder) -> Event:
    venue_at = await locate(data.venue, geocoder)
    places = [place_values(p, await locate(p, geocoder), user_id) for p in data.place_options]
    return await _insert_event(group_id, user_id, data, venue_at, places)


def place_values(data: VenueIn, point: Point, user_id: int) -> dict[str, Any]:
    """A place option's columns (queries.insert_event, queries.add_place_option)."""
    return {
        "name": data.name,
        "address": data.address,
        "latitude": point[0] if point else None,
        "longitude": point[1] if point else None,
        "same_as": same_place(data.name, data.address),
        "added_by": user_id,
    }


@transactional
async def _insert_event(
    group_id: int,
    user_id: int,
    data: EventCreate,
    venue_at: Point,
    places: list[dict[str, Any]],
) -> Event:
    now = datetime.now(UTC)
    values = {
        "group": group_id,
        "title": data.title,
        "description": data.description,
        "status": "proposed",
        "timezone": data.timezone,
        "created_by": user_id,
        "capacity": data.capacity,
        "sequence": 0,
        "ical_uid": str(uuid.uuid4()),
        "created_at": now,
        "updated_at": now,
    }
    values |= {
        column._meta.name: value for column, value in _venue_columns(data.venue, venue_at).items()
    }
    options = [(o.start.astimezone(UTC), o.end.astimezone(UTC)) for o in data.time_options]
    event_id = await queries.insert_event(values, options, places)
    await announce.proposed(event_id, user_id)
    return await _reread(event_id)


async def _lock_shown(event_id: int, group_id: int) -> Row:
    """Touch the group (calendars show this change), then the event."""
    await lock_group(group_id)
    return await queries.lock_event(event_id)


async def update_event(access: Access, data: EventUpdate, geocoder: Geocoder) -> Event:
    venue_at = None if data.venue is msgspec.UNSET else await locate(data.venue, geocoder)
    return await _update_event(access, data, venue_at)


@transactional
async def _update_event(access: Access, data: EventUpdate, venue_at: Point) -> Event:
    event_id = access.event_id
    event = await _lock_shown(event_id, access.group_id)
    if event["status"] == "cancelled":
        raise Conflict("This event is cancelled; it can no longer be edited")
    changes: dict[Any, Any] = {}
    if data.title is not msgspec.UNSET and data.title != event["title"]:
        changes[EventRow.title] = data.title
    if data.description is not msgspec.UNSET and data.description != event["description"]:
        changes[EventRow.description] = data.description
    if data.venue is not msgspec.UNSET and _venue_changed(event, data.venue, venue_at):
        changes.update(_venue_columns(data.venue, venue_at))
    # Calendars show the title, description and venue; they never show the seats.
    if changes:
        changes[EventRow.sequence] = EventRow.sequence + 1
    capacity = event["capacity"] if data.capacity is msgspec.UNSET else data.capacity
    capacity_changed = capacity != event["capacity"]
    if capacity_changed:
        changes[EventRow.capacity] = capacity
    if changes:
        changes[EventRow.updated_at] = datetime.now(UTC)
        await queries.update_event(event_id, changes)
    if EventRow.sequence in changes and event["status"] == "confirmed":
        await announce.updated(event_id, access.user_id, event["sequence"] + 1)
    if capacity_changed:
        await reseat(event_id, capacity)
    return await _reread(event_id)


async def lock_proposal(event_id: int, refusal: str) -> Row:
    """Lock the event for what only a proposal takes (votes, options added); a Conflict
    that says `refusal` once it is confirmed or cancelled."""
    event = await queries.lock_event(event_id)
    if event["status"] != "proposed":
        raise Conflict(f"{refusal}: the event is {event['status']}")
    return event


async def _open_ballot(event_id: int) -> set[int]:
    """Lock the event for a vote: its time options' ids, while voting is open."""
    await lock_proposal(event_id, "Voting is closed")
    return {option["id"] for option in await queries.option_rows([event_id])}


def _checked(votes: dict[int, Any], known: set[int], kind: str) -> dict[int, Any]:
    foreign = sorted(set(votes) - known)
    if foreign:
        raise Invalid(f"Not {kind} options of this event: {', '.join(map(str, foreign))}")
    return dict(sorted(votes.items()))


@transactional
async def put_votes(event_id: int, user_id: int, data: Votes) -> MyVotes:
    """Each kind of vote sent replaces the caller's votes of that kind; all checked
    before any is written."""
    known = await _open_ballot(event_id)
    votes = None if data.votes is msgspec.UNSET else _checked(data.votes, known, "time")
    places = None
    if data.place_votes is not msgspec.UNSET:
        place_ids = {row["id"] for row in await queries.place_rows([event_id])}
        places = _checked(data.place_votes, place_ids, "place")
    if votes is not None:
        await queries.replace_votes(event_id, user_id, votes)
    if places is not None:
        await queries.replace_place_votes(event_id, user_id, places)
    return await my_votes(event_id, user_id)


@transactional
async def put_vote(event_id: int, user_id: int, option_id: int, choice: str) -> MyVotes:
    """Vote on one time option (a one-click link), leaving the member's other votes."""
    if option_id not in await _open_ballot(event_id):
        raise NotFound("That time option is no longer part of this event")
    await queries.put_vote(event_id, user_id, option_id, choice)
    return await my_votes(event_id, user_id)


async def my_votes(event_id: int, user_id: int) -> MyVotes:
    return MyVotes(
        votes=await queries.votes_of(event_id, user_id),  # type: ignore[arg-type]
        place_votes=await queries.place_votes_of(event_id, user_id),  # type: ignore[arg-type]
    )


async def confirm(access: Access, data: Confirm, geocoder: Geocoder, travel: Travel) -> Event:
    return await _confirm(access, data, await locate(data.venue, geocoder), travel)


@transactional
async def _confirm(access: Access, data: Confirm, venue_at: Point, travel: Travel) -> Event:
    event_id = access.event_id
    event = await _lock_shown(event_id, access.group_id)
    if event["status"] != "proposed":
        raise Conflict(f"Only a proposed event can be confirmed; this one is {event['status']}")
    rows = {row["id"]: row for row in await queries.option_rows([event_id])}
    if data.option_id is None:
        options = queries.as_options(list(rows.values()))
        votes = tally(list(rows), await queries.ballots([event_id]))
        chosen_id = best_option(options, votes).id
    elif data.option_id in rows:
        chosen_id = data.option_id
    else:
        raise Invalid(f"Option {data.option_id} is not a time option of this event")
    span = rows[chosen_id]
    changes: dict[Any, Any] = {
        EventRow.status: "confirmed",
        EventRow.starts_at: span["starts_at"],
        EventRow.ends_at: span["ends_at"],
        EventRow.sequence: EventRow.sequence + 1,
        EventRow.updated_at: datetime.now(UTC),
    }
    if data.venue is not None:
        changes.update(_venue_columns(data.venue, venue_at))
    else:
        place = await _chosen_place(event_id, chosen_id, data.place_option_id, travel)
        if place is not None:
            venue = VenueIn(name=place["name"], address=place["address"])
            located = (
                (place["latitude"], place["longitude"]) if place["latitude"] is not None else None
            )
            changes.update(_venue_columns(venue, located))
    await queries.update_event(event_id, changes)
    await announce.confirmed(event_id, access.user_id, event["sequence"] + 1, span["starts_at"])
    return await _reread(event_id)


async def _chosen_place(
    event_id: int, option_id: int, place_option_id: int | None, travel: Travel
) -> dict[str, Any] | None:
    """The place option that becomes the venue: the one named, or else (among those with
    coordinates) the one with the most yes, then the most maybe, then the least total
    travel for the confirmed option's yes voters, then the earliest added; None when
    there is none to choose."""
    places = {row["id"]: row for row in await queries.place_rows([event_id])}
    if place_option_id is not None:
        if place_option_id not in places:
            raise Invalid(f"Option {place_option_id} is not a place option of this event")
        return places[place_option_id]
    located = [pid for pid, row in places.items() if row["latitude"] is not None]
    if not located:
        return None
    counts = tally(located, await queries.place_ballots([event_id]))

    def by_votes(pid: int) -> tuple[int, int]:
        return -counts.of(pid).yes, -counts.of(pid).maybe

    best = min(by_votes(pid) for pid in located)
    tied = [pid for pid in located if by_votes(pid) == best]  # in the order added
    if len(tied) > 1:
        tied = await travel.least_total(event_id, option_id, tied)
    return places[tied[0]]


@transactional
async def cancel(access: Access) -> Event:
    event_id = access.event_id
    event = await _lock_shown(event_id, access.group_id)
    if event["status"] == "cancelled":
        raise Conflict("This event is already cancelled")
    await queries.update_event(
        event_id,
        {
            EventRow.status: "cancelled",
            EventRow.sequence: EventRow.sequence + 1,
            EventRow.updated_at: datetime.now(UTC),
        },
    )
    await announce.cancelled(event_id, access.user_id, event["sequence"] + 1)
    return await _reread(event_id)
