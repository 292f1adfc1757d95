"""The events slice's SQL: reading events with their counts, locking, seating rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from rendezvous.core.db import lock_for_update
from rendezvous.core.errors import NotFound
from rendezvous.events.schemas import Event, RsvpCounts, TimeOption, Venue, VoteCounts
from rendezvous.events.seating import Party, Seating
from rendezvous.events.tables import Event as EventRow
from rendezvous.events.tables import Rsvp as RsvpRow
from rendezvous.events.tables import TimeOption as OptionRow
from rendezvous.events.tables import Vote as VoteRow
from rendezvous.events.tally import Ballot, Option, tally

EVENT_COLUMNS = (
    EventRow.id,
    EventRow.group,
    EventRow.title,
    EventRow.description,
    EventRow.status,
    EventRow.timezone,
    EventRow.created_by,
    EventRow.capacity,
    EventRow.venue_name,
    EventRow.venue_address,
    EventRow.venue_latitude,
    EventRow.venue_longitude,
    EventRow.starts_at,
    EventRow.ends_at,
    EventRow.sequence,
    EventRow.created_at,
    EventRow.updated_at,
)


async def lock_event(event_id: int) -> dict[str, Any]:
    """The event row, locked until the surrounding write transaction ends."""
    rows = await lock_for_update(EventRow.select(*EVENT_COLUMNS).where(EventRow.id == event_id))
    if not rows:
        raise NotFound("Event not found")
    row: dict[str, Any] = rows[0]
    return row


async def options_of(event_id: int) -> list[Option]:
    rows = await (
        OptionRow.select(OptionRow.id, OptionRow.starts_at)
        .where(OptionRow.event == event_id)
        .order_by(OptionRow.position)
    )
    return [Option(row["id"], row["starts_at"]) for row in rows]


async def ballots(event_ids: Sequence[int]) -> list[Ballot]:
    """Votes of these events, counted per option and choice by the database."""
    rows = await (
        VoteRow.select(VoteRow.option, VoteRow.choice, Count(alias="n"))
        .where(VoteRow.event.is_in(list(event_ids)))
        .group_by(VoteRow.option, VoteRow.choice)
    )
    return [Ballot(row["option"], row["choice"], row["n"]) for row in rows]


def _venue(row: dict[str, Any]) -> Venue | None:
    if row["venue_name"] is None:
        return None
    return Venue(
        name=row["venue_name"],
        address=row["venue_address"],
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )


async def _rsvp_counts(event_ids: list[int]) -> dict[int, RsvpCounts]:
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("yes", "maybe", "no", "waitlisted", "guests"), 0)
    )
    rows = await (
        RsvpRow.select(
            RsvpRow.event,
            RsvpRow.status,
            RsvpRow.waitlisted,
            Count(alias="n"),
            Sum(RsvpRow.guests, alias="guests"),
        )
        .where(RsvpRow.event.is_in(event_ids))
        .group_by(RsvpRow.event, RsvpRow.status, RsvpRow.waitlisted)
    )
    for row in rows:
        of_event = counts[row["event"]]
        if row["waitlisted"]:
            of_event["waitlisted"] += row["n"]
        else:
            of_event[row["status"]] += row["n"]
            if row["status"] == "yes":
                of_event["guests"] += int(row["guests"] or 0)
    return {event_id: RsvpCounts(**counts[event_id]) for event_id in event_ids}


async def build_events(rows: Sequence[dict[str, Any]]) -> list[Event]:
    """Event rows with their options, vote counts and RSVP counts: three more queries
    however many events there are."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    options = await (
        OptionRow.select(OptionRow.id, OptionRow.event, OptionRow.starts_at, OptionRow.ends_at)
        .where(OptionRow.event.is_in(ids))
        .order_by(OptionRow.event)
        .order_by(OptionRow.position)
    )
    votes = tally([Option(o["id"], o["starts_at"]) for o in options], await ballots(ids))
    time_options: dict[int, list[TimeOption]] = defaultdict(list)
    for option in options:
        counts = votes.of(option["id"])
        time_options[option["event"]].append(
            TimeOption(
                id=option["id"],
                start=option["starts_at"],
                end=option["ends_at"],
                votes=VoteCounts(yes=counts.yes, maybe=counts.maybe, no=counts.no),
            )
        )
    rsvp_counts = await _rsvp_counts(ids)
    return [
        Event(
            id=row["id"],
            group_id=row["group"],
            title=row["title"],
            description=row["description"],
            status=row["status"],
            timezone=row["timezone"],
            created_by=row["created_by"],
            time_options=time_options[row["id"]],
            start=row["starts_at"],
            end=row["ends_at"],
            venue=_venue(row),
            capacity=row["capacity"],
            rsvp_counts=rsvp_counts[row["id"]],
            sequence=row["sequence"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
        for row in rows
    ]


async def rsvp_rows(event_id: int) -> dict[int, dict[str, Any]]:
    """Every RSVP of the event by user id."""
    rows = await RsvpRow.select(
        RsvpRow.user,
        RsvpRow.status,
        RsvpRow.guests,
        RsvpRow.waitlisted,
        RsvpRow.queue_seq,
    ).where(RsvpRow.event == event_id)
    return {row["user"]: row for row in rows}


def seating_of(rows: dict[int, dict[str, Any]]) -> Seating:
    """The seating the stored yes-RSVPs describe; the waitlist in the order people joined."""
    yes = [row for row in rows.values() if row["status"] == "yes"]
    seated = tuple(
        Party(row["user"], 1 + row["guests"])
        for row in sorted(yes, key=lambda row: row["user"])
        if not row["waitlisted"]
    )
    waiting = sorted((row for row in yes if row["waitlisted"]), key=lambda row: row["queue_seq"])
    return Seating(seated, tuple(Party(row["user"], 1 + row["guests"]) for row in waiting))


async def promote_rows(event_id: int, before: Seating, after: Seating) -> None:
    """Store promotions: parties that waited before and hold a seat now."""
    waited = {party.user_id for party in before.waitlist}
    promoted = [party.user_id for party in after.seated if party.user_id in waited]
    if promoted:
        await RsvpRow.update({RsvpRow.waitlisted: False, RsvpRow.queue_seq: None}).where(
            (RsvpRow.event == event_id) & RsvpRow.user.is_in(promoted)
        )
