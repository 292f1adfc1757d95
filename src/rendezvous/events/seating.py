"""Seats and the waitlist: pure rules, values in and values out.

Seats are taken by members who said yes, plus their guests. A yes that does not fit
joins the back of the waitlist, and so does any newcomer while someone is waiting:
nobody jumps the queue. Whenever seats free up (someone says maybe or no, withdraws,
brings fewer guests, or the capacity grows) the waitlist is promoted from the front,
as far as the seats allow; it stops at the first party that does not fit, so the order
is strictly first come, first served. Lowering the capacity below the seats already
taken unseats nobody: the event runs over until enough people leave, and meanwhile
every new yes is waitlisted. A seated member asking for more guests than the free
seats allow is refused (NoRoom) and keeps what they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class NoRoom(Exception):
    """A seated member asked for more guests than there are free seats."""

    def __init__(self, max_guests: int) -> None:
        super().__init__(f"there is room for at most {max_guests} guest(s)")
        self.max_guests = max_guests


class Party(NamedTuple):  # a tuple: an event's seating is read for every answer to it
    user_id: int
    size: int  # the member plus their guests


@dataclass(frozen=True, slots=True)
class Seating:
    seated: tuple[Party, ...] = ()
    waitlist: tuple[Party, ...] = ()  # front first
    # Seats held by seated parties not listed in `seated`. One answer can move only its
    # own party and the waitlist, so that is all it needs listed: the rest is a number.
    others: int = 0

    def taken(self) -> int:
        return self.others + sum(party.size for party in self.seated)

    def position(self, user_id: int) -> int | None:
        """1-based place in the waitlist, or None."""
        for index, party in enumerate(self.waitlist, start=1):
            if party.user_id == user_id:
                return index
        return None

    def is_seated(self, user_id: int) -> bool:
        return any(party.user_id == user_id for party in self.seated)


def _fits(taken: int, size: int, capacity: int | None) -> bool:
    return capacity is None or taken + size <= capacity


def promote(state: Seating, capacity: int | None) -> Seating:
    """Seat waiting parties from the front while they fit."""
    seated, waitlist, taken = list(state.seated), list(state.waitlist), state.taken()
    while waitlist and _fits(taken, waitlist[0].size, capacity):
        party = waitlist.pop(0)
        seated.append(party)
        taken += party.size
    return Seating(tuple(seated), tuple(waitlist), state.others)


def respond(state: Seating, capacity: int | None, user_id: int, size: int | None) -> Seating:
    """Apply one member's answer: `size` seats wanted (1 + guests) for a yes, None otherwise.

    Raises NoRoom when a seated member asks for more seats than are free.
    """
    seated = [p for p in state.seated if p.user_id != user_id]
    waitlist = list(state.waitlist)
    was_seated = len(seated) != len(state.seated)
    queued_at = next((i for i, p in enumerate(waitlist) if p.user_id == user_id), None)

    if size is None:
        if queued_at is not None:
            del waitlist[queued_at]
    elif was_seated:
        taken = state.others + sum(p.size for p in seated)
        old = next(p.size for p in state.seated if p.user_id == user_id)
        if size > old and not _fits(taken, size, capacity):
            assert capacity is not None  # without a limit everything fits
            raise NoRoom(max_guests=capacity - taken - 1)
        seated.append(Party(user_id, size))
    elif queued_at is not None:
        waitlist[queued_at] = Party(user_id, size)
    elif not waitlist and _fits(state.others + sum(p.size for p in seated), size, capacity):
        seated.append(Party(user_id, size))
    else:
        waitlist.append(Party(user_id, size))
    return promote(Seating(tuple(seated), tuple(waitlist), state.others), capacity)
