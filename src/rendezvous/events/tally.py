"""Counting votes and picking the winning time option: pure, no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Option:
    id: int
    start: datetime


@dataclass(slots=True)
class Counts:
    yes: int = 0
    maybe: int = 0
    no: int = 0


@dataclass(frozen=True, slots=True)
class Ballot:
    option_id: int
    choice: str  # yes | maybe | no
    count: int = 1  # identical ballots, as a database aggregate returns them


@dataclass(slots=True)
class Tally:
    counts: dict[int, Counts] = field(default_factory=dict)

    def of(self, option_id: int) -> Counts:
        return self.counts.get(option_id, Counts())


def tally(option_ids: Iterable[int], ballots: Iterable[Ballot]) -> Tally:
    """Votes per option (time or place); ballots for options not listed are ignored."""
    result = Tally({option_id: Counts() for option_id in option_ids})
    for ballot in ballots:
        counts = result.counts.get(ballot.option_id)
        if counts is not None:
            setattr(counts, ballot.choice, getattr(counts, ballot.choice) + ballot.count)
    return result


def best_option(options: Sequence[Option], result: Tally) -> Option:
    """Most yes, then most maybe, then the earliest start (then the first listed)."""
    if not options:
        raise ValueError("no options to choose from")
    ranked = sorted(
        enumerate(options),
        key=lambda item: (
            -result.of(item[1].id).yes,
            -result.of(item[1].id).maybe,
            item[1].start,
            item[0],
        ),
    )
    return ranked[0][1]
