"""Events: proposals, votes, confirmation, edits and cancellation.

Every change to an event runs in one write transaction that first locks the event row,
so that votes, confirmation, edits and RSVPs to one event never interleave.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Litestar
from litestar.datastructures import State

from rendezvous.accounts.services import bearer_checked
from rendezvous.core.db import Row, transactional
from rendezvous.core.errors import Conflict, Invalid, NotFound
from rendezvous.core.lru import Lru
from rendezvous.core.schemas import Page
from rendezvous.core.tokens import hash_secret
from rendezvous.events.queries import (
    Tallies,
    as_options,
    ballots,
    build_events,
    count_calendar_change,
    event_for_member,
    event_for_token,
    event_from,
    get_event_row,
    list_event_rows,
    lock_event,
    option_rows,
    tallies_of,
)
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
)
from rendezvous.events.tables import Event as EventRow
from rendezvous.events.tables import TimeOption as OptionRow
from rendezvous.events.tables import Vote as VoteRow
from rendezvous.events.tally import best_option, tally
from rendezvous.geo.geocoder import CachedGeocoder
from rendezvous.geo.services import locate_venue
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
    row = await event_for_member(event_id, user_id)
    if row is None:
        return None
    return Access(event_id, user_id, row["group"], row["created_by"], row["caller_role"], row)


async def find_access_by_token(event_id: int, token: str) -> Access | None:
    """`find_access` for a bearer token not yet looked up, in the same statement as the
    event (`Access.row`). Unauthenticated for an unknown token."""
    row = await bearer_checked(await event_for_token(event_id, hash_secret(token)))
    if row["caller_role"] is None:
        return None
    return Access(
        event_id, row["caller_id"], row["group"], row["created_by"], row["caller_role"], row
    )


# What a worker keeps about events between requests: their tallies, by UID and revision
# (the UID, not the id: SQLite may give a deleted event's id to a new one).
EventTallies = Lru[tuple[str, int], Tallies]


@asynccontextmanager
async def events(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: the tally cache, once per worker."""
    app.state.event_tallies = EventTallies(max_weight=10_000)
    yield


def provide_event_tallies(state: State) -> EventTallies:
    tallies: EventTallies = state.event_tallies
    return tallies


async def get_event(access: Access, cache: EventTallies) -> Event:
    """The event `find_access_by_token` found, with its tallies: cached, unless the
    event's revision (read in the same statement as the caller's membership) moved on."""
    row = access.row
    key = (row["ical_uid"], row["revision"])
    tallies = cache.get(key)
    if tallies is None:
        tallies = (await tallies_of([row["id"]]))[row["id"]]
        cache.put(key, tallies)
    return event_from(row, tallies)


async def _reread(event_id: int) -> Event:
    """The event as a change just left it."""
    row = await get_event_row(event_id)
    if row is None:
        raise NotFound("Event not found")
    return (await build_events([row]))[0]


async def list_events(
    group_id: int, status: Status | None, newest_first: bool, limit: int, offset: int
) -> Page[Event]:
    rows, total = await list_event_rows(group_id, status, newest_first, limit, offset)
    return Page(items=await build_events(rows), limit=limit, offset=offset, total=total)


Point = tuple[float, float] | None


async def _locate(venue: VenueIn | None, geocoder: CachedGeocoder) -> Point:
    """Where a venue is: as given, or looked up before any write transaction starts."""
    if venue is None:
        return None
    if venue.latitude is not None and venue.longitude is not None:
        return venue.latitude, venue.longitude
    return await locate_venue(geocoder, venue.name, venue.address)


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


async def create_event(
    group_id: int, user_id: int, data: EventCreate, geocoder: CachedGeocoder
) -> Event:
    return await _insert_event(group_id, user_id, data, await _locate(data.venue, geocoder))


@transactional
async def _insert_event(group_id: int, user_id: int, data: EventCreate, venue_at: Point) -> Event:
    now = datetime.now(UTC)
    event = EventRow(
        group=group_id,
        title=data.title,
        description=data.description,
        status="proposed",
        timezone=data.timezone,
        created_by=user_id,
        capacity=data.capacity,
        sequence=0,
        ical_uid=str(uuid.uuid4()),
        created_at=now,
        updated_at=now,
    )
    for column, value in _venue_columns(data.venue, venue_at).items():
        setattr(event, column._meta.name, value)
    event_id = (await EventRow.insert(event).returning(EventRow.id))[0]["id"]
    await OptionRow.insert(
        *(
            OptionRow(
                event=event_id,
                position=position,
                starts_at=option.start.astimezone(UTC),
                ends_at=option.end.astimezone(UTC),
            )
            for position, option in enumerate(data.time_options)
        )
    )
    return await _reread(event_id)


async def update_event(event_id: int, data: EventUpdate, geocoder: CachedGeocoder) -> Event:
    venue_at = None if data.venue is msgspec.UNSET else await _locate(data.venue, geocoder)
    return await _update_event(event_id, data, venue_at)


@transactional
async def _update_event(event_id: int, data: EventUpdate, venue_at: Point) -> Event:
    event = await lock_event(event_id)
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
        await EventRow.update(changes).where(EventRow.id == event_id)
        await count_calendar_change(event["group"])
    if capacity_changed:
        await reseat(event_id, capacity)
    return await _reread(event_id)


@transactional
async def put_votes(event_id: int, user_id: int, data: Votes) -> MyVotes:
    event = await lock_event(event_id)
    if event["status"] != "proposed":
        raise Conflict(f"Voting is closed: the event is {event['status']}")
    known = {option["id"] for option in await option_rows([event_id])}
    foreign = sorted(set(data.votes) - known)
    if foreign:
        raise Invalid(f"Not time options of this event: {', '.join(map(str, foreign))}")
    await VoteRow.delete().where((VoteRow.event == event_id) & (VoteRow.user == user_id))
    votes = dict(sorted(data.votes.items()))
    if votes:
        await VoteRow.insert(
            *(
                VoteRow(event=event_id, option=option_id, user=user_id, choice=choice)
                for option_id, choice in votes.items()
            )
        )
    return MyVotes(votes=votes)


async def my_votes(event_id: int, user_id: int) -> MyVotes:
    rows = await (
        VoteRow.select(VoteRow.option, VoteRow.choice)
        .where((VoteRow.event == event_id) & (VoteRow.user == user_id))
        .order_by(VoteRow.option)
    )
    return MyVotes(votes={row["option"]: row["choice"] for row in rows})


async def confirm(event_id: int, data: Confirm, geocoder: CachedGeocoder) -> Event:
    return await _confirm(event_id, data, await _locate(data.venue, geocoder))


@transactional
async def _confirm(event_id: int, data: Confirm, venue_at: Point) -> Event:
    event = await lock_event(event_id)
    if event["status"] != "proposed":
        raise Conflict(f"Only a proposed event can be confirmed; this one is {event['status']}")
    rows = {row["id"]: row for row in await option_rows([event_id])}
    if data.option_id is None:
        options = as_options(list(rows.values()))
        chosen_id = best_option(options, tally(options, await ballots([event_id]))).id
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
    await EventRow.update(changes).where(EventRow.id == event_id)
    await count_calendar_change(event["group"])
    return await _reread(event_id)


@transactional
async def cancel(event_id: int) -> Event:
    event = await lock_event(event_id)
    if event["status"] == "cancelled":
        raise Conflict("This event is already cancelled")
    await EventRow.update(
        {
            EventRow.status: "cancelled",
            EventRow.sequence: EventRow.sequence + 1,
            EventRow.updated_at: datetime.now(UTC),
        }
    ).where(EventRow.id == event_id)
    await count_calendar_change(event["group"])
    return await _reread(event_id)
