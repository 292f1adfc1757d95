from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from rendezvous.events.tally import Ballot, Option, best_option, tally

T0 = datetime(2027, 3, 6, 11, tzinfo=UTC)


def options(n: int) -> list[Option]:
    return [Option(id=10 + i, start=T0 + timedelta(days=7 * i)) for i in range(n)]


def ids(opts: list[Option]) -> list[int]:
    return [option.id for option in opts]


def test_counts_per_option_ignoring_foreign_ballots() -> None:
    opts = options(2)
    result = tally(
        ids(opts), [Ballot(10, "yes"), Ballot(10, "no"), Ballot(11, "maybe", 3), Ballot(99, "yes")]
    )
    assert (result.of(10).yes, result.of(10).maybe, result.of(10).no) == (1, 0, 1)
    assert (result.of(11).yes, result.of(11).maybe, result.of(11).no) == (0, 3, 0)
    assert 99 not in result.counts


def test_most_yes_wins_then_maybe_then_earliest() -> None:
    opts = options(3)
    assert best_option(opts, tally(ids(opts), [Ballot(11, "yes"), Ballot(12, "maybe", 5)])).id == 11
    assert (
        best_option(
            opts, tally(ids(opts), [Ballot(11, "yes"), Ballot(12, "yes"), Ballot(12, "maybe")])
        ).id
        == 12
    )
    assert best_option(opts, tally(ids(opts), [Ballot(12, "yes"), Ballot(11, "yes")])).id == 11
    assert best_option(opts, tally(ids(opts), [])).id == 10  # nobody voted: the earliest


def test_earliest_start_beats_listing_order() -> None:
    later, earlier = Option(1, T0 + timedelta(days=1)), Option(2, T0)
    assert best_option([later, earlier], tally(ids([later, earlier]), [])).id == 2


ballots = st.lists(
    st.builds(
        Ballot, st.integers(10, 14), st.sampled_from(["yes", "maybe", "no"]), st.integers(1, 3)
    ),
    max_size=60,
)


@given(ballots, st.randoms())
def test_the_winner_does_not_depend_on_ballot_order(votes: list[Ballot], rnd) -> None:
    opts = options(5)
    shuffled = list(votes)
    rnd.shuffle(shuffled)
    assert best_option(opts, tally(ids(opts), votes)) == best_option(
        opts, tally(ids(opts), shuffled)
    )


@given(ballots)
def test_no_option_beats_the_winner(votes: list[Ballot]) -> None:
    opts = options(5)
    result = tally(ids(opts), votes)
    win = result.of(best_option(opts, result).id)
    for option in opts:
        other = result.of(option.id)
        assert (other.yes, other.maybe) <= (win.yes, win.maybe)


@given(ballots)
def test_counts_add_up(votes: list[Ballot]) -> None:
    opts = options(5)
    result = tally(ids(opts), votes)
    assert sum(c.yes + c.maybe + c.no for c in result.counts.values()) == sum(
        b.count for b in votes
    )
