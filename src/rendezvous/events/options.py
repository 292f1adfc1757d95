"""Options added to a proposal while it is one: any member may add a time or a place
(20 of each at most, no duplicates). Adding does not change `sequence`: calendars show
no proposal."""

from __future__ import annotations

from datetime import UTC

from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict
from rendezvous.core.geocoding import Geocoder
from rendezvous.events import queries
from rendezvous.events.schemas import (
    MAX_OPTIONS,
    PlaceOption,
    TimeOption,
    TimeOptionIn,
    VenueIn,
    VoteCounts,
    same_place,
)
from rendezvous.events.services import Access, Point, locate, lock_proposal, place_values

_NO_VOTES = VoteCounts(yes=0, maybe=0, no=0)


_CLOSED = "Options can be added only while proposed"


@transactional
async def add_time_option(access: Access, data: TimeOptionIn) -> TimeOption:
    await lock_proposal(access.event_id, _CLOSED)
    start, end = data.start.astimezone(UTC), data.end.astimezone(UTC)
    rows = await queries.option_rows([access.event_id])
    if len(rows) >= MAX_OPTIONS:
        raise Conflict(f"A proposal has at most {MAX_OPTIONS} time options")
    if any(row["starts_at"] == start and row["ends_at"] == end for row in rows):
        raise Conflict("This time option is already on the proposal")
    option_id = await queries.add_time_option(access.event_id, start, end)
    return TimeOption(id=option_id, start=start, end=end, votes=_NO_VOTES)


async def add_place_option(access: Access, data: VenueIn, geocoder: Geocoder) -> PlaceOption:
    return await _add_place_option(access, data, await locate(data, geocoder))


@transactional
async def _add_place_option(access: Access, data: VenueIn, point: Point) -> PlaceOption:
    await lock_proposal(access.event_id, _CLOSED)
    taken = await queries.place_same_as(access.event_id)
    if len(taken) >= MAX_OPTIONS:
        raise Conflict(f"A proposal has at most {MAX_OPTIONS} place options")
    same_as = same_place(data.name, data.address)
    if same_as in taken:
        raise Conflict("This place is already on the proposal")
    place = place_values(data, point, access.user_id)
    option_id = await queries.add_place_option(access.event_id, place)
    return PlaceOption(
        id=option_id,
        name=data.name,
        address=data.address,
        latitude=place["latitude"],
        longitude=place["longitude"],
        added_by=access.user_id,
        votes=_NO_VOTES,
    )
