"""RSVPs: answers, seats and the waitlist, applied under the event's lock.

The rules themselves live in events.seating (pure); this module loads the seating an
event's rows describe, applies one change and stores the difference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rendezvous.core.db.sql import Row
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, NotFound, Unprocessable
from rendezvous.core.locks import KeyedLock
from rendezvous.core.schemas import Page
from rendezvous.events import announce, queries
from rendezvous.events.queries import RsvpRows, SeatingRows
from rendezvous.events.schemas import Rsvp, RsvpEntry, RsvpIn
from rendezvous.events.seating import NoRoom, Seating, promote, respond


def seats_wanted(status: str, guests: int) -> int | None:
    """Seats an answer asks for: the member and their guests for a yes, none otherwise."""
    return 1 + guests if status == "yes" else None


def _check_open(event: Row) -> None:
    if event["status"] == "cancelled":
        raise Conflict("This event is cancelled; RSVPs are closed")
    if event["starts_at"] is not None and event["starts_at"] <= datetime.now(UTC):
        raise Conflict("This event has already started; RSVPs are closed")


def _check_sequence(event: Row, sequence: int | None) -> None:
    # RFC 5546 2.1.5: a reply to an older version of the event does not apply to this one.
    if sequence is None or sequence == event["sequence"]:
        return
    if sequence < event["sequence"]:
        raise Conflict(
            f"This reply answers version {sequence} of the invite, but the event has changed "
            f"since (version {event['sequence']}): download the invite again and answer that"
        )
    raise Unprocessable(
        f"This reply answers version {sequence} of the invite; the latest is {event['sequence']}"
    )


def _next_queue_seq(rows: RsvpRows) -> int:
    # the waitlist is among the rows, and only waiting answers hold a queue_seq
    return 1 + max((row["queue_seq"] or 0 for row in rows.values()), default=0)


async def put_rsvp(
    event_id: int, user_id: int, data: RsvpIn, answering: KeyedLock, sequence: int | None = None
) -> Rsvp:
    """Answer an event. Answers to one event take turns in `answering` (the worker's,
    events.deps), so that they reach the database one at a time rather than parking
    pooled connections on the event's row lock. `sequence`, for answers from a calendar
    invite, is the version of the event the answer was given to."""
    async with answering(event_id):
        return await _put_rsvp(event_id, user_id, data, sequence)


@transactional
async def _put_rsvp(event_id: int, user_id: int, data: RsvpIn, sequence: int | None) -> Rsvp:
    event, answers = await queries.lock_for_answer(event_id, user_id)
    _check_open(event)
    _check_sequence(event, sequence)
    rows = answers.rows
    before = answers.seating()
    try:
        after = respond(before, event["capacity"], user_id, seats_wanted(data.status, data.guests))
    except NoRoom as exc:
        raise Conflict(
            f"Not enough free seats for {data.guests} guest(s): "
            f"there is room for at most {max(exc.max_guests, 0)}"
        ) from None
    await _promote(event_id, before, after, actor_id=user_id)

    position = after.position(user_id)
    previous = rows.get(user_id)
    queue_seq = None
    if position is not None:
        # one keeps one's place in the queue when changing guests or note while waiting
        if previous is not None and previous["waitlisted"]:
            queue_seq = previous["queue_seq"]
        else:
            queue_seq = _next_queue_seq(rows)
    await queries.save_answer(
        event_id,
        user_id,
        {
            "status": data.status,
            "guests": data.guests,
            "note": data.note,
            "waitlisted": position is not None,
            "queue_seq": queue_seq,
            "responded_at": datetime.now(UTC),
        },
    )
    if event["answers_announced"]:
        await announce.rsvp_changed(
            event_id,
            user_id,
            {"status": data.status, "guests": data.guests, "waitlisted": position is not None},
        )
    return Rsvp(
        user_id=user_id,
        status=data.status,
        guests=data.guests,
        waitlisted=position is not None,
        waitlist_position=position,
    )


async def delete_rsvp(event_id: int, user_id: int, answering: KeyedLock) -> None:
    async with answering(event_id):
        await _delete_rsvp(event_id, user_id)


@transactional
async def _delete_rsvp(event_id: int, user_id: int) -> None:
    event, answers = await queries.lock_for_answer(event_id, user_id)
    _check_open(event)
    if user_id not in answers.rows:
        raise NotFound("You have not answered this event")
    await _withdraw(event, answers, user_id)
    if event["answers_announced"]:
        await announce.rsvp_changed(event_id, user_id, None)


async def _withdraw(event: Row, answers: SeatingRows, user_id: int) -> None:
    before = answers.seating()
    after = respond(before, event["capacity"], user_id, None)
    await queries.delete_answer(event["id"], user_id)
    await _promote(event["id"], before, after, actor_id=user_id)


async def reseat(event_id: int, capacity: int | None) -> None:
    """After a capacity change (the event already locked): promote as far as seats allow."""
    before = (await queries.seating_rows(event_id, user_id=None)).seating()
    await _promote(event_id, before, promote(before, capacity), actor_id=None)


async def _promote(event_id: int, before: Seating, after: Seating, actor_id: int | None) -> None:
    """Store promotions and tell those promoted, but the member whose own answer it was."""
    promoted = await queries.promote(event_id, before, after)
    await announce.promoted(event_id, [user for user in promoted if user != actor_id])


@transactional
async def forget_member(group_id: int, user_id: int) -> None:
    """Someone left the group: their answers go, the seats they held are passed on, and
    their votes go."""
    for event_id in await queries.answered_events(group_id, user_id):  # by id: no deadlocks
        event, answers = await queries.lock_for_answer(event_id, user_id)
        await _withdraw(event, answers, user_id)
    await queries.forget_votes(group_id, user_id)
    await queries.touch_group_events(group_id)


async def list_rsvps(event_id: int, limit: int, offset: int) -> Page[RsvpEntry]:
    """Seated first, then the waitlist in order, then maybe, then no; earliest answer first."""
    rows = await queries.rsvp_entries(event_id)
    waiting = sorted((r for r in rows if r["waitlisted"]), key=lambda r: r["queue_seq"])
    position = {row["user"]: index for index, row in enumerate(waiting, start=1)}
    rank = {"yes": 0, "maybe": 2, "no": 3}

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        group = 1 if row["waitlisted"] else rank[row["status"]]
        return (group, position.get(row["user"], 0), row["responded_at"], row["user"])

    entries = [
        RsvpEntry(
            user_id=row["user"],
            name=row["name"],
            status=row["status"],
            guests=row["guests"],
            note=row["note"],
            waitlisted=row["waitlisted"],
            waitlist_position=position.get(row["user"]),
        )
        for row in sorted(rows, key=order)
    ]
    return Page(
        items=entries[offset : offset + limit], limit=limit, offset=offset, total=len(entries)
    )
