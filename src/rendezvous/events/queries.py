"""The events slice's SQL: events, time options, votes and answers.

Piccolo builds most of it. The written-out statements are the hottest routes' (reading an
event, answering it), each with the benchmark that shows why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import Combinable
from piccolo.query.functions.aggregate import Count, Sum

from rendezvous.accounts.queries import with_caller
from rendezvous.core.db.engines import is_sqlite
from rendezvous.core.db.sql import Row, fetch, fetch_one, placeholders
from rendezvous.core.errors import NotFound
from rendezvous.core.freshness import touch, touch_statement
from rendezvous.events.schemas import (
    Event,
    PlaceOption,
    RsvpCounts,
    TimeOption,
    Venue,
    VoteCounts,
)
from rendezvous.events.seating import Party, Seating
from rendezvous.events.tables import Event as EventRow
from rendezvous.events.tables import PlaceOption as PlaceRow
from rendezvous.events.tables import PlaceVote as PlaceVoteRow
from rendezvous.events.tables import Rsvp as RsvpRow
from rendezvous.events.tables import TimeOption as OptionRow
from rendezvous.events.tables import Vote as VoteRow
from rendezvous.events.tally import Ballot, Counts, Option, tally
from rendezvous.groups.queries import answers_announced

EVENT_COLUMNS: tuple[Column, ...] = tuple(EventRow._meta.columns)
_NAMES = tuple(column._meta.db_column_name for column in EVENT_COLUMNS)
_COLUMNS = ", ".join(f'e."{name}"' for name in _NAMES)


# --- reading events --------------------------------------------------------------------

# Written out, one statement for GET /events/{id} and PUT/DELETE /events/{id}/rsvp
# (bench/reads.py, bench/rsvp.py): the bearer token, the caller's role in the event's
# group and the event. No row: no such token; a null role: no such event, or not the
# caller's to see.
_EVENT_FOR_TOKEN = with_caller(
    f"m.role AS caller_role, {_COLUMNS}",
    "LEFT JOIN event e ON e.id = {} "
    'LEFT JOIN membership m ON m."group" = e."group" AND m."user" = t."user"',
)


# The same, with the group's creation time and revision, for views keyed by both (a joint
# poll's plan, bench/plan.py).
_EVENT_AND_GROUP_FOR_TOKEN = with_caller(
    "m.role AS caller_role, g.created_at AS group_created_at, g.revision AS group_revision, "
    f"{_COLUMNS}",
    "LEFT JOIN event e ON e.id = {} "
    'LEFT JOIN membership m ON m."group" = e."group" AND m."user" = t."user" '
    'LEFT JOIN friend_group g ON g.id = e."group"',
)


async def event_for_token(event_id: int, token_hash: str, with_group: bool = False) -> Row | None:
    statement = _EVENT_AND_GROUP_FOR_TOKEN if with_group else _EVENT_FOR_TOKEN
    return await fetch_one(statement, event_id, token_hash)


async def event_row(event_id: int) -> dict[str, Any] | None:
    return await EventRow.select(*EVENT_COLUMNS).where(EventRow.id == event_id).first()


async def event_rows(
    group_id: int, status: str | None, newest_first: bool, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of a group's events, and how many there are."""
    where: Combinable = EventRow.group == group_id
    if status is not None:
        where &= EventRow.status == status
    rows = await (
        EventRow.select(*EVENT_COLUMNS)
        .where(where)
        .order_by(EventRow.id, ascending=not newest_first)
        .limit(limit)
        .offset(offset)
    )
    return rows, await EventRow.count().where(where)


async def option_rows(event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Time options of these events (id, event, starts_at, ends_at), each event's in the
    order its proposer listed them."""
    return await (
        OptionRow.select(OptionRow.id, OptionRow.event, OptionRow.starts_at, OptionRow.ends_at)
        .where(OptionRow.event.is_in(list(event_ids)))
        .order_by(OptionRow.event, OptionRow.position)
    )


async def place_rows(event_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Place options of these events (id, event, name, address, latitude, longitude,
    added_by), each event's in the order they were added."""
    return await (
        PlaceRow.select(
            PlaceRow.id,
            PlaceRow.event,
            PlaceRow.name,
            PlaceRow.address,
            PlaceRow.latitude,
            PlaceRow.longitude,
            PlaceRow.added_by,
        )
        .where(PlaceRow.event.is_in(list(event_ids)))
        .order_by(PlaceRow.event, PlaceRow.position)
    )


def as_options(rows: Sequence[Row]) -> list[Option]:
    """Option rows as the vote tally takes them."""
    return [Option(row["id"], row["starts_at"]) for row in rows]


async def ballots(event_ids: Sequence[int]) -> list[Ballot]:
    """Votes on these events' time options, counted per option and choice by the database."""
    return await _ballots(VoteRow, event_ids)


async def place_ballots(event_ids: Sequence[int]) -> list[Ballot]:
    """Votes on these events' place options, counted the same way."""
    return await _ballots(PlaceVoteRow, event_ids)


async def _ballots(
    table: type[VoteRow] | type[PlaceVoteRow], event_ids: Sequence[int]
) -> list[Ballot]:
    rows = await (
        table.select(table.option, table.choice, Count(alias="n"))
        .where(table.event.is_in(list(event_ids)))
        .group_by(table.option, table.choice)
    )
    return [Ballot(row["option"], row["choice"], row["n"]) for row in rows]


async def _rsvp_counts(event_ids: Sequence[int]) -> dict[int, RsvpCounts]:
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
        .where(RsvpRow.event.is_in(list(event_ids)))
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


@dataclass(frozen=True, slots=True)
class Tallies:
    """What an event's votes and RSVPs add up to."""

    time_options: list[TimeOption]  # in the order the proposer listed them
    place_options: list[PlaceOption]  # in the order added
    rsvp_counts: RsvpCounts


async def tallies_of(event_ids: Sequence[int]) -> dict[int, Tallies]:
    """The tallies of these events: five queries however many events there are."""
    options = await option_rows(event_ids)
    votes = tally([option["id"] for option in options], await ballots(event_ids))
    time_options: dict[int, list[TimeOption]] = defaultdict(list)
    for option in options:
        time_options[option["event"]].append(
            TimeOption(
                id=option["id"],
                start=option["starts_at"],
                end=option["ends_at"],
                votes=_vote_counts(votes.of(option["id"])),
            )
        )
    place_options: dict[int, list[PlaceOption]] = defaultdict(list)
    places = await place_rows(event_ids)
    place_ids = [place["id"] for place in places]
    place_votes = tally(place_ids, await place_ballots(event_ids) if places else [])
    for place in places:
        place_options[place["event"]].append(
            PlaceOption(
                id=place["id"],
                name=place["name"],
                address=place["address"],
                latitude=place["latitude"],
                longitude=place["longitude"],
                added_by=place["added_by"],
                votes=_vote_counts(place_votes.of(place["id"])),
            )
        )
    rsvp_counts = await _rsvp_counts(event_ids)
    return {
        event_id: Tallies(time_options[event_id], place_options[event_id], rsvp_counts[event_id])
        for event_id in event_ids
    }


def _vote_counts(counts: Counts) -> VoteCounts:
    return VoteCounts(yes=counts.yes, maybe=counts.maybe, no=counts.no)


def venue_of(row: Row) -> Venue | None:
    if row["venue_name"] is None:
        return None
    return Venue(
        name=row["venue_name"],
        address=row["venue_address"],
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )


def event_from(row: Row, tallies: Tallies) -> Event:
    return Event(
        id=row["id"],
        group_id=row["group"],
        title=row["title"],
        description=row["description"],
        status=row["status"],
        timezone=row["timezone"],
        created_by=row["created_by"],
        time_options=tallies.time_options,
        place_options=tallies.place_options,
        start=row["starts_at"],
        end=row["ends_at"],
        venue=venue_of(row),
        capacity=row["capacity"],
        rsvp_counts=tallies.rsvp_counts,
        sequence=row["sequence"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def build_events(rows: Sequence[Row]) -> list[Event]:
    """Event rows with their tallies."""
    if not rows:
        return []
    tallies = await tallies_of([row["id"] for row in rows])
    return [event_from(row, tallies[row["id"]]) for row in rows]


# --- what other slices read --------------------------------------------------------------


async def answers(event_id: int) -> dict[int, dict[str, Any]]:
    """Every answer to the event by user id: status, waitlisted, guests, note."""
    rows = await RsvpRow.select(
        RsvpRow.user, RsvpRow.status, RsvpRow.waitlisted, RsvpRow.guests, RsvpRow.note
    ).where(RsvpRow.event == event_id)
    return {row["user"]: row for row in rows}


async def answer_of(event_id: int, user_id: int) -> dict[str, Any] | None:
    """The user's answer to the event (guests, note), if any."""
    return (
        await RsvpRow.select(RsvpRow.guests, RsvpRow.note)
        .where((RsvpRow.event == event_id) & (RsvpRow.user == user_id))
        .first()
    )


async def calendar_rows(
    group_ids: Sequence[int],
    cancelled_since: datetime,
    since: datetime,
    until: datetime,
    limit: int,
) -> list[dict[str, Any]]:
    """What calendar feeds show of these groups: confirmed events, and events cancelled
    since `cancelled_since`, that overlap [since, until), soonest first."""
    if not group_ids:
        return []
    shown = (EventRow.status == "confirmed") | (
        (EventRow.status == "cancelled") & (EventRow.updated_at >= cancelled_since)
    )
    return await (
        EventRow.select(*EVENT_COLUMNS)
        .where(
            EventRow.group.is_in(list(group_ids))
            & shown
            & (EventRow.ends_at >= since)
            & (EventRow.starts_at < until)
        )
        .order_by(EventRow.starts_at, EventRow.id)
        .limit(limit)
    )


# --- changes -----------------------------------------------------------------------------


async def lock_event(event_id: int) -> Row:
    """Touch the event (core.freshness): its row, locked until the transaction ends."""
    row = await touch(EventRow, event_id, *_NAMES)
    if row is None:
        raise NotFound("Event not found")
    return row


async def touch_group_events(group_id: int) -> None:
    """Touch (core.freshness) every event of the group at once, for a change that reaches
    them all: a member's votes going when they leave."""
    await EventRow.update({EventRow.revision: EventRow.revision + 1}).where(
        EventRow.group == group_id
    )


async def insert_event(
    values: dict[str, Any],
    options: list[tuple[datetime, datetime]],
    places: list[dict[str, Any]],
) -> int:
    """The event with its time options and place options (name, address, latitude,
    longitude, same_as, added_by)."""
    event_id: int = (await EventRow.insert(EventRow(**values)).returning(EventRow.id))[0]["id"]
    await OptionRow.insert(
        *(
            OptionRow(event=event_id, position=position, starts_at=start, ends_at=end)
            for position, (start, end) in enumerate(options)
        )
    )
    if places:
        await PlaceRow.insert(
            *(
                PlaceRow(event=event_id, position=position, **place)
                for position, place in enumerate(places)
            )
        )
    return event_id


async def add_time_option(event_id: int, start: datetime, end: datetime) -> int:
    """A time option after the others (the event locked)."""
    position = await OptionRow.count().where(OptionRow.event == event_id)
    rows = await OptionRow.insert(
        OptionRow(event=event_id, position=position, starts_at=start, ends_at=end)
    ).returning(OptionRow.id)
    return int(rows[0]["id"])


async def add_place_option(event_id: int, place: dict[str, Any]) -> int:
    """A place option after the others (the event locked)."""
    position = await PlaceRow.count().where(PlaceRow.event == event_id)
    rows = await PlaceRow.insert(PlaceRow(event=event_id, position=position, **place)).returning(
        PlaceRow.id
    )
    return int(rows[0]["id"])


async def place_same_as(event_id: int) -> set[str]:
    rows = await PlaceRow.select(PlaceRow.same_as).where(PlaceRow.event == event_id)
    return {row["same_as"] for row in rows}


async def update_event(event_id: int, changes: dict[Any, Any]) -> None:
    await EventRow.update(changes).where(EventRow.id == event_id)


async def replace_votes(event_id: int, user_id: int, votes: Mapping[int, str]) -> None:
    await VoteRow.delete().where((VoteRow.event == event_id) & (VoteRow.user == user_id))
    if votes:
        await VoteRow.insert(
            *(
                VoteRow(event=event_id, option=option_id, user=user_id, choice=choice)
                for option_id, choice in votes.items()
            )
        )


async def replace_place_votes(event_id: int, user_id: int, votes: Mapping[int, str]) -> None:
    await PlaceVoteRow.delete().where(
        (PlaceVoteRow.event == event_id) & (PlaceVoteRow.user == user_id)
    )
    if votes:
        await PlaceVoteRow.insert(
            *(
                PlaceVoteRow(event=event_id, option=option_id, user=user_id, choice=choice)
                for option_id, choice in votes.items()
            )
        )


async def place_votes_of(event_id: int, user_id: int) -> dict[int, str]:
    rows = await (
        PlaceVoteRow.select(PlaceVoteRow.option, PlaceVoteRow.choice)
        .where((PlaceVoteRow.event == event_id) & (PlaceVoteRow.user == user_id))
        .order_by(PlaceVoteRow.option)
    )
    return {row["option"]: row["choice"] for row in rows}


async def yes_voters(event_id: int) -> dict[int, set[int]]:
    """Time option id -> the members who voted yes on it."""
    rows = await VoteRow.select(VoteRow.option, VoteRow.user).where(
        (VoteRow.event == event_id) & (VoteRow.choice == "yes")
    )
    voters: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        voters[row["option"]].add(row["user"])
    return voters


async def put_vote(event_id: int, user_id: int, option_id: int, choice: str) -> None:
    """One vote, the member's others as they were."""
    await VoteRow.delete().where((VoteRow.option == option_id) & (VoteRow.user == user_id))
    await VoteRow.insert(VoteRow(event=event_id, option=option_id, user=user_id, choice=choice))


async def votes_of(event_id: int, user_id: int) -> dict[int, str]:
    rows = await (
        VoteRow.select(VoteRow.option, VoteRow.choice)
        .where((VoteRow.event == event_id) & (VoteRow.user == user_id))
        .order_by(VoteRow.option)
    )
    return {row["option"]: row["choice"] for row in rows}


async def forget_votes(group_id: int, user_id: int) -> None:
    """The user's votes on every event of the group."""
    events = EventRow.select(EventRow.id).where(EventRow.group == group_id)
    event_ids = [row["id"] for row in await events]
    if event_ids:
        await VoteRow.delete().where((VoteRow.user == user_id) & VoteRow.event.is_in(event_ids))
        await PlaceVoteRow.delete().where(
            (PlaceVoteRow.user == user_id) & PlaceVoteRow.event.is_in(event_ids)
        )


async def answered_events(group_id: int, user_id: int) -> list[int]:
    """The group's events the user has answered, by id."""
    rows = await RsvpRow.select(RsvpRow.event).where(
        (RsvpRow.user == user_id) & (RsvpRow.event.group == group_id)
    )
    return sorted(row["event"] for row in rows)


async def rsvp_entries(event_id: int) -> list[dict[str, Any]]:
    """Every answer with the member's name: for the list of answers."""
    return await RsvpRow.select(
        RsvpRow.user,
        RsvpRow.user.name.as_alias("name"),
        RsvpRow.status,
        RsvpRow.guests,
        RsvpRow.note,
        RsvpRow.waitlisted,
        RsvpRow.queue_seq,
        RsvpRow.responded_at,
    ).where(RsvpRow.event == event_id)


async def delete_answer(event_id: int, user_id: int) -> None:
    await RsvpRow.delete().where((RsvpRow.event == event_id) & (RsvpRow.user == user_id))


# --- seating: an answer's reads and writes (the RSVP path, bench/rsvp.py) -------------------

# RSVP rows by user id: user, status, guests, waitlisted, queue_seq
RsvpRows = dict[int, Row]


@dataclass(frozen=True, slots=True)
class SeatingRows:
    """What one answer reads of an event's RSVPs: the rows it can move, every other
    seated yes only as a number of seats (events.seating.Seating.others)."""

    rows: RsvpRows  # every waiting yes, and the user's own answer whatever it is
    others_seated: int

    def seating(self) -> Seating:
        """The seating these rows describe; the waitlist in the order people joined."""
        seated: list[tuple[int, int]] = []
        waiting: list[tuple[int, int, int]] = []
        for row in self.rows.values():
            if row["status"] == "yes":
                if row["waitlisted"]:
                    waiting.append((row["queue_seq"], row["user"], 1 + row["guests"]))
                else:
                    seated.append((row["user"], 1 + row["guests"]))
        waiting.sort()
        return Seating(
            tuple(Party(user, size) for user, size in sorted(seated)),
            tuple(Party(user, size) for _, user, size in waiting),
            self.others_seated,
        )


# Written out, as every statement of the RSVP path is (bench/rsvp.py): an event's seats can
# run to thousands of yes answers, so the seats the answer cannot move are summed by the
# database rather than sent row by row.
_ANSWER_COLUMNS = ("user", "status", "guests", "waitlisted", "queue_seq")
_OTHERS_SEATED = (
    "SELECT COALESCE(SUM(1 + guests), 0) AS others_seated FROM rsvp "
    "WHERE event = {} AND status = 'yes' AND NOT waitlisted AND \"user\" <> {}"
)
_MOVABLE = "AND ((r.status = 'yes' AND r.waitlisted) OR r.\"user\" = {})"
_SEATING_ANSWERS = (
    "SELECT t.others_seated, "  # noqa: S608 - fixed text
    + ", ".join(f'r."{name}"' for name in _ANSWER_COLUMNS)
    + f" FROM ({_OTHERS_SEATED}) AS t LEFT JOIN rsvp AS r ON r.event = {{}} {_MOVABLE}"
)
# PostgreSQL only (SQLite has no UPDATE in a WITH): the touch and the seating in one
# statement, one round trip fewer while the event is locked (bench/rsvp.py).
_LOCK_WITH_SEATING = (
    "WITH seen AS (SELECT revision AS seen_revision FROM event WHERE id = {}), "  # noqa: S608
    f"locked AS ({touch_statement(EventRow, _NAMES)}), t AS ({_OTHERS_SEATED}) "
    "SELECT locked.*, seen.seen_revision, t.others_seated, "
    '(SELECT g.answers_announced FROM friend_group AS g WHERE g.id = locked."group") '
    "AS answers_announced, "
    + ", ".join(f'r."{name}" AS rsvp_{name}' for name in _ANSWER_COLUMNS)
    + " FROM locked CROSS JOIN seen CROSS JOIN t "
    f"LEFT JOIN rsvp AS r ON r.event = locked.id {_MOVABLE}"
)


async def lock_for_answer(event_id: int, user_id: int) -> tuple[Row, SeatingRows]:
    """Touch the event, then read what an answer from `user_id` depends on (and whether
    answers to its group's events are announced).

    Under READ COMMITTED a statement that waited for the lock still reads the other rows
    from the snapshot it started with, which misses the answers committed by whoever
    held the lock; a statement after the lock sees them. On PostgreSQL both are tried in
    one statement first, and the event's revision tells whether its rows will do: read
    from the snapshot and returned by the UPDATE, it differs by exactly one only if nobody
    committed a change in between, and every change to an event's answers moves it.
    SQLite runs one writer at a time.
    """
    if not is_sqlite():
        rows = await fetch(_LOCK_WITH_SEATING, event_id, event_id, event_id, user_id, user_id)
        if not rows:
            raise NotFound("Event not found")
        event = rows[0]
        if event["revision"] == event["seen_revision"] + 1:
            answers: RsvpRows = {
                row["rsvp_user"]: {name: row[f"rsvp_{name}"] for name in _ANSWER_COLUMNS}
                for row in rows
                if row["rsvp_user"] is not None
            }
            return event, SeatingRows(answers, event["others_seated"])
    else:
        event = await lock_event(event_id)
        event = {**event, "answers_announced": await answers_announced(event["group"])}
    return event, await seating_rows(event_id, user_id)


async def seating_rows(event_id: int, user_id: int | None) -> SeatingRows:
    """The waitlist, the user's own answer whatever it is, and the seats every other
    seated yes holds. Without a user (a capacity change), every seated yes is counted."""
    nobody = 0 if user_id is None else user_id  # no user has id 0
    rows = await fetch(_SEATING_ANSWERS, event_id, nobody, event_id, nobody)
    return SeatingRows(
        {row["user"]: row for row in rows if row["user"] is not None},
        rows[0]["others_seated"],
    )


_SAVE_ANSWER = (
    'INSERT INTO rsvp (event, "user", status, guests, note, waitlisted, queue_seq, responded_at) '
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
    'ON CONFLICT (event, "user") DO UPDATE SET status = excluded.status, '
    "guests = excluded.guests, note = excluded.note, waitlisted = excluded.waitlisted, "
    "queue_seq = excluded.queue_seq, responded_at = excluded.responded_at"
)


async def save_answer(event_id: int, user_id: int, answer: dict[str, Any]) -> None:
    """Insert or replace the user's answer: one statement, the same on both engines."""
    await fetch(
        _SAVE_ANSWER,
        event_id,
        user_id,
        answer["status"],
        answer["guests"],
        answer["note"],
        answer["waitlisted"],
        answer["queue_seq"],
        answer["responded_at"],
    )


async def promote(event_id: int, before: Seating, after: Seating) -> list[int]:
    """Store promotions: parties that waited before and hold a seat now (their ids)."""
    waited = {party.user_id for party in before.waitlist}
    promoted = [party.user_id for party in after.seated if party.user_id in waited]
    if promoted:
        await fetch(
            "UPDATE rsvp SET waitlisted = {}, queue_seq = NULL "  # noqa: S608 - placeholders
            f'WHERE event = {{}} AND "user" IN ({placeholders(len(promoted))})',
            False,
            event_id,
            *promoted,
        )
    return promoted
