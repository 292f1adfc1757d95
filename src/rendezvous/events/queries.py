"""The events slice's SQL: reading events with their counts, locking, seating rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rendezvous.core.db import Row, fetch, is_sqlite
from rendezvous.core.errors import NotFound
from rendezvous.events.schemas import Event, RsvpCounts, TimeOption, Venue, VoteCounts
from rendezvous.events.seating import Party, Seating
from rendezvous.events.tables import Event as EventRow
from rendezvous.events.tally import Ballot, Option, tally

# RSVP rows by user id: status, guests, waitlisted, queue_seq
RsvpRows = dict[int, Row]

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
    EventRow.ical_uid,
    EventRow.revision,
    EventRow.created_at,
    EventRow.updated_at,
)

# The event reads are written out: Piccolo takes longer to build a query over foreign
# keys than the database takes to answer it.
_NAMES = [f'"{column._meta.db_column_name}"' for column in EVENT_COLUMNS]
_COLUMNS = ", ".join(f"e.{name}" for name in _NAMES)
_SELECT_EVENT = f"SELECT {_COLUMNS} FROM event e WHERE e.id = {{}}"  # noqa: S608 - column names
# The event with the caller's role in its group; nothing when they are not in it.
_EVENT_FOR_MEMBER = (
    f"SELECT {_COLUMNS}, m.role AS caller_role FROM event e "  # noqa: S608 - column names
    'JOIN membership m ON m."group" = e."group" AND m."user" = {} WHERE e.id = {}'
)
# The hottest event routes (reading it, answering it) in one statement: the bearer
# token, the caller's role in the event's group and the event. No row: no such token;
# a row without a role: no such event, or not the caller's to see.
_EVENT_FOR_TOKEN = (
    'SELECT t.id AS token_id, t.last_used_at AS token_used_at, t."user" AS caller_id, '  # noqa: S608
    f"m.role AS caller_role, {_COLUMNS} FROM api_token t "
    "LEFT JOIN event e ON e.id = {} "
    'LEFT JOIN membership m ON m."group" = e."group" AND m."user" = t."user" '
    "WHERE t.token_hash = {}"
)
# Locking an event bumps its revision: every write transaction on an event, its votes
# or its RSVPs starts here, so the revision read with the event tells whether what a
# worker cached about it (events.services.EventTallies) is still current. On PostgreSQL
# the UPDATE's row lock (FOR NO KEY UPDATE) makes every other writer of the row wait, as
# SELECT ... FOR UPDATE would; unlike it, it lets foreign-key checks of inserted votes
# and RSVPs pass, which no rule here depends on.
_LOCK_EVENT = (
    "UPDATE event SET revision = revision + 1 WHERE id = {} RETURNING "  # noqa: S608
    + ", ".join(_NAMES)
)


async def event_for_member(event_id: int, user_id: int) -> Row | None:
    """The event and the user's role in its group (`caller_role`), in one query; None
    when there is no such event or the user is not in its group."""
    rows = await fetch(_EVENT_FOR_MEMBER, user_id, event_id)
    return rows[0] if rows else None


async def event_for_token(event_id: int, token_hash: str) -> Row | None:
    """The token (`token_id`, `token_used_at`), the caller's role (`caller_role`, None
    for an outsider or no such event) and the event; None when no token has this hash."""
    rows = await fetch(_EVENT_FOR_TOKEN, event_id, token_hash)
    return rows[0] if rows else None


async def get_event_row(event_id: int) -> Row | None:
    rows = await fetch(_SELECT_EVENT, event_id)
    return rows[0] if rows else None


async def lock_event(event_id: int) -> Row:
    """The event row, locked (and its revision bumped) until the surrounding write
    transaction ends."""
    rows = await fetch(_LOCK_EVENT, event_id)
    if not rows:
        raise NotFound("Event not found")
    return rows[0]


async def touch_events(group_id: int) -> None:
    """Bump the revision of every event of the group, for a change that reaches them all
    without locking each (a member's votes going when they leave)."""
    await fetch('UPDATE event SET revision = revision + 1 WHERE "group" = {}', group_id)


_OF_GROUP = 'WHERE e."group" = {}'
_WITH_STATUS = " AND e.status = {}"


async def list_event_rows(
    group_id: int, status: str | None, newest_first: bool, limit: int, offset: int
) -> tuple[list[Row], int]:
    """One page of a group's events, and how many there are."""
    where, args = (
        (_OF_GROUP, [group_id])
        if status is None
        else (_OF_GROUP + _WITH_STATUS, [group_id, status])
    )
    order = "DESC" if newest_first else "ASC"
    rows = await fetch(
        f"SELECT {_COLUMNS} FROM event e {where} ORDER BY e.id {order} LIMIT {{}} OFFSET {{}}",  # noqa: S608
        *args,
        limit,
        offset,
    )
    total = await fetch(f"SELECT COUNT(*) AS n FROM event e {where}", *args)  # noqa: S608
    return rows, total[0]["n"]


def _in(count: int) -> str:
    return ", ".join(["{}"] * count)


async def option_rows(event_ids: Sequence[int]) -> list[Row]:
    """Time options of these events (id, event, starts_at, ends_at), each event's in the
    order its proposer listed them."""
    return await fetch(
        "SELECT id, event, starts_at, ends_at FROM time_option "  # noqa: S608 - placeholders
        f"WHERE event IN ({_in(len(event_ids))}) ORDER BY event, position",
        *event_ids,
    )


def as_options(rows: Sequence[Row]) -> list[Option]:
    """Option rows as the vote tally takes them."""
    return [Option(row["id"], row["starts_at"]) for row in rows]


async def ballots(event_ids: Sequence[int]) -> list[Ballot]:
    """Votes of these events, counted per option and choice by the database."""
    rows = await fetch(
        'SELECT "option", choice, COUNT(*) AS n FROM vote '  # noqa: S608 - placeholders
        f"WHERE event IN ({_in(len(event_ids))}) GROUP BY option, choice",
        *event_ids,
    )
    return [Ballot(row["option"], row["choice"], row["n"]) for row in rows]


async def _options_with_votes(event_ids: Sequence[int]) -> list[Row]:
    """Each option of these events (in the proposer's order) once per choice it got,
    with how many (`n`); an option nobody voted on once, with choice null and n 0."""
    return await fetch(
        "SELECT o.id, o.event, o.starts_at, o.ends_at, v.choice, COUNT(v.id) AS n "  # noqa: S608
        'FROM time_option o LEFT JOIN vote v ON v."option" = o.id '
        f"WHERE o.event IN ({_in(len(event_ids))}) "
        "GROUP BY o.event, o.position, o.id, o.starts_at, o.ends_at, v.choice "
        "ORDER BY o.event, o.position",
        *event_ids,
    )


def _venue(row: Row) -> Venue | None:
    if row["venue_name"] is None:
        return None
    return Venue(
        name=row["venue_name"],
        address=row["venue_address"],
        latitude=row["venue_latitude"],
        longitude=row["venue_longitude"],
    )


async def _rsvp_counts(event_ids: Sequence[int]) -> dict[int, RsvpCounts]:
    counts: dict[int, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(("yes", "maybe", "no", "waitlisted", "guests"), 0)
    )
    rows = await fetch(
        "SELECT event, status, waitlisted, COUNT(*) AS n, SUM(guests) AS guests "  # noqa: S608
        f"FROM rsvp WHERE event IN ({_in(len(event_ids))}) GROUP BY event, status, waitlisted",
        *event_ids,
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
    rsvp_counts: RsvpCounts


async def tallies_of(event_ids: Sequence[int]) -> dict[int, Tallies]:
    """The tallies of these events: two queries however many events there are."""
    counted = await _options_with_votes(event_ids)
    options = list({row["id"]: row for row in counted}.values())
    votes = tally(
        as_options(options),
        [Ballot(row["id"], row["choice"], row["n"]) for row in counted if row["n"]],
    )
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
    rsvp_counts = await _rsvp_counts(event_ids)
    return {
        event_id: Tallies(time_options[event_id], rsvp_counts[event_id]) for event_id in event_ids
    }


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
        start=row["starts_at"],
        end=row["ends_at"],
        venue=_venue(row),
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


async def count_calendar_change(group_id: int) -> None:
    """Record that one of the group's events changed (within the change's transaction)."""
    await fetch(
        'INSERT INTO calendar_revision ("group", revision) VALUES ({}, 1) '
        'ON CONFLICT ("group") DO UPDATE SET revision = calendar_revision.revision + 1',
        group_id,
    )


async def lock_for_rsvp(event_id: int, user_id: int) -> tuple[Row, SeatingRows]:
    """Lock the event, then read what an answer from `user_id` depends on.

    Under READ COMMITTED a statement that waited for the lock still reads the other rows
    from the snapshot it started with, which misses the answers committed by whoever
    held the lock; a statement after the lock sees them. On PostgreSQL both are tried in
    one statement first (one round trip fewer, held under the lock) and the event's
    revision tells whether its rows will do: read from the snapshot and returned by the
    UPDATE, it differs by exactly one only if nobody committed a change in between, and
    every change to an event's answers bumps it. SQLite runs one writer at a time.
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
    return event, await seating_answers(event_id, user_id)


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


# An event's seats can run to thousands of yes answers: the sum of those the answer
# cannot move is counted by the database, not sent row by row.
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
# PostgreSQL only (SQLite has no UPDATE in a WITH): see lock_for_rsvp.
_LOCK_WITH_SEATING = (
    "WITH seen AS (SELECT revision AS seen_revision FROM event WHERE id = {}), "  # noqa: S608
    f"locked AS ({_LOCK_EVENT}), t AS ({_OTHERS_SEATED}) "
    "SELECT locked.*, seen.seen_revision, t.others_seated, "
    + ", ".join(f'r."{name}" AS rsvp_{name}' for name in _ANSWER_COLUMNS)
    + " FROM locked CROSS JOIN seen CROSS JOIN t "
    f"LEFT JOIN rsvp AS r ON r.event = locked.id {_MOVABLE}"
)


async def seating_answers(event_id: int, user_id: int | None) -> SeatingRows:
    """The waitlist, the user's own answer whatever it is, and the seats every other
    seated yes holds. Without a user (a capacity change), every seated yes is counted."""
    rows = await fetch(_SEATING_ANSWERS, event_id, _nobody(user_id), event_id, _nobody(user_id))
    return SeatingRows(
        {row["user"]: row for row in rows if row["user"] is not None},
        rows[0]["others_seated"],
    )


def _nobody(user_id: int | None) -> int:
    return 0 if user_id is None else user_id  # no user has id 0


_SAVE_ANSWER = (
    'INSERT INTO rsvp (event, "user", status, guests, note, waitlisted, queue_seq, responded_at) '
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) "
    'ON CONFLICT (event, "user") DO UPDATE SET status = excluded.status, '
    "guests = excluded.guests, note = excluded.note, waitlisted = excluded.waitlisted, "
    "queue_seq = excluded.queue_seq, responded_at = excluded.responded_at"
)


async def save_answer(event_id: int, user_id: int, answer: Row) -> None:
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


async def promote_rows(event_id: int, before: Seating, after: Seating) -> None:
    """Store promotions: parties that waited before and hold a seat now."""
    waited = {party.user_id for party in before.waitlist}
    promoted = [party.user_id for party in after.seated if party.user_id in waited]
    if promoted:
        await fetch(
            "UPDATE rsvp SET waitlisted = {}, queue_seq = NULL "  # noqa: S608 - placeholders
            f'WHERE event = {{}} AND "user" IN ({_in(len(promoted))})',
            False,
            event_id,
            *promoted,
        )
