import contextlib
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rendezvous.events.seating import NoRoom, Party, Seating, promote, respond


def state(seated: list[tuple[int, int]], waiting: list[tuple[int, int]] = ()) -> Seating:  # type: ignore[assignment]
    return Seating(tuple(Party(*p) for p in seated), tuple(Party(*p) for p in waiting))


def test_yes_takes_seats_with_guests_until_full_then_waitlists() -> None:
    s = respond(Seating(), 5, 1, 3)
    s = respond(s, 5, 2, 2)
    assert s.taken() == 5 and s.waitlist == ()
    s = respond(s, 5, 3, 1)
    assert s.position(3) == 1 and not s.is_seated(3)


def test_newcomers_never_jump_the_queue() -> None:
    s = state([(1, 4)], [(2, 3)])  # capacity 5: one free seat, the waiting party needs three
    s = respond(s, 5, 3, 1)
    assert [p.user_id for p in s.waitlist] == [2, 3]


def test_promotion_is_in_order_and_stops_at_the_first_that_does_not_fit() -> None:
    s = state([(1, 4), (2, 1)], [(3, 3), (4, 1), (5, 1)])
    s = respond(s, 5, 2, None)  # one seat frees: the front party needs three, so nobody moves
    assert [p.user_id for p in s.waitlist] == [3, 4, 5]
    s = respond(s, 5, 1, None)  # five free: 3 (3 seats) then 4 and 5
    assert [p.user_id for p in s.seated] == [3, 4, 5] and s.waitlist == ()


def test_fewer_guests_free_seats_and_more_guests_need_room() -> None:
    s = state([(1, 3), (2, 2)], [(3, 2)])
    s = respond(s, 5, 1, 1)  # Ann leaves her two guests at home
    assert s.is_seated(3) and s.taken() == 5
    with pytest.raises(NoRoom) as refused:
        respond(s, 5, 2, 3)
    assert refused.value.max_guests == 1  # what she has now
    assert respond(s, 5, 2, 1).taken() == 4


def test_a_waiting_party_keeps_its_place_when_it_changes() -> None:
    s = state([(1, 5)], [(2, 2), (3, 1)])
    s = respond(s, 5, 2, 4)
    assert [(p.user_id, p.size) for p in s.waitlist] == [(2, 4), (3, 1)]


def test_capacity_changes() -> None:
    s = state([(1, 3), (2, 2)], [(3, 1), (4, 2)])
    assert [p.user_id for p in promote(s, 8).seated] == [1, 2, 3, 4]
    assert promote(s, 6).position(4) == 1
    lowered = promote(s, 2)  # nobody already seated loses their seat
    assert lowered.seated == s.seated and lowered.waitlist == s.waitlist
    assert respond(lowered, 2, 5, 1).position(5) == 3
    assert promote(s, None).waitlist == ()


def test_unlimited_capacity_seats_everyone() -> None:
    s = Seating()
    for user in range(1, 50):
        s = respond(s, None, user, 11)
    assert len(s.seated) == 49 and s.waitlist == ()


@dataclass(frozen=True)
class Change:
    user_id: int
    size: int | None  # None: maybe, no, or withdrawn


changes = st.lists(
    st.builds(Change, st.integers(1, 12), st.one_of(st.none(), st.integers(1, 11))), max_size=80
)


def replay(capacity: int | None, steps: list[Change]) -> tuple[Seating, list[int]]:
    s, joined = Seating(), []
    for step in steps:
        try:
            after = respond(s, capacity, step.user_id, step.size)
        except NoRoom:
            continue
        if after.position(step.user_id) is not None and s.position(step.user_id) is None:
            joined.append(step.user_id)
        s = after
    return s, joined


@given(st.integers(1, 30), changes)
def test_seated_never_exceeds_capacity(capacity: int, steps: list[Change]) -> None:
    s = Seating()
    for step in steps:
        with contextlib.suppress(NoRoom):
            s = respond(s, capacity, step.user_id, step.size)
        assert s.taken() <= capacity
        users = [p.user_id for p in s.seated + s.waitlist]
        assert len(users) == len(set(users))  # nobody both seated and waiting, nor twice
        # nobody waits while the front of the queue would fit
        if s.waitlist:
            assert s.taken() + s.waitlist[0].size > capacity


@given(st.integers(1, 30), changes)
def test_the_waitlist_is_first_come_first_served(capacity: int, steps: list[Change]) -> None:
    s, joined = replay(capacity, steps)
    waiting = [p.user_id for p in s.waitlist]
    # those still waiting are in the order they (last) joined the queue
    last_join = {user: index for index, user in enumerate(joined)}
    assert waiting == sorted(waiting, key=last_join.__getitem__)
    assert [s.position(user) for user in waiting] == list(range(1, len(waiting) + 1))


@given(st.one_of(st.none(), st.integers(1, 30)), changes)
def test_replaying_the_same_changes_gives_the_same_seating(
    capacity: int | None, steps: list[Change]
) -> None:
    assert replay(capacity, steps) == replay(capacity, steps)


def folded(s: Seating, user_id: int) -> Seating:
    """`s` as an answer from `user_id` reads it: its own party and the waitlist listed,
    everyone else seated only as a number of seats."""
    mine = tuple(p for p in s.seated if p.user_id == user_id)
    others = s.others + sum(p.size for p in s.seated if p.user_id != user_id)
    return Seating(mine, s.waitlist, others)


@given(
    st.one_of(st.none(), st.integers(1, 30)),
    changes,
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(1, 11)),
)
def test_an_answer_decides_the_same_from_the_folded_seating(
    capacity: int | None, steps: list[Change], user_id: int, size: int | None
) -> None:
    s, _ = replay(capacity, steps)
    try:
        full = respond(s, capacity, user_id, size)
    except NoRoom as refused:
        with pytest.raises(NoRoom) as also:
            respond(folded(s, user_id), capacity, user_id, size)
        assert also.value.max_guests == refused.max_guests
        return
    short = respond(folded(s, user_id), capacity, user_id, size)
    assert short.taken() == full.taken()
    assert short.waitlist == full.waitlist
    # the same parties promoted, and the same outcome for the one who answered
    assert {p for p in short.seated if p.user_id != user_id} == {
        p for p in full.seated if p.user_id != user_id and p not in s.seated
    }
    assert short.is_seated(user_id) == full.is_seated(user_id)
    assert short.position(user_id) == full.position(user_id)


@given(st.integers(1, 30), changes, st.integers(1, 40))
def test_a_capacity_change_promotes_the_same_from_the_folded_seating(
    capacity: int, steps: list[Change], new_capacity: int
) -> None:
    s, _ = replay(capacity, steps)
    full = promote(s, new_capacity)
    short = promote(folded(s, user_id=0), new_capacity)  # nobody answered: all folded
    assert short.taken() == full.taken() and short.waitlist == full.waitlist
    assert set(short.seated) == set(full.seated) - set(s.seated)
