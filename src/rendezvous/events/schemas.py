"""Request and response bodies for events, votes and RSVPs."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

import msgspec
from anyascii import anyascii
from litestar.params import Parameter

from rendezvous.core.schemas import (
    MAX_ID,
    Latitude,
    Longitude,
    LongText,
    RequestBody,
    ResponseBody,
    ShortText,
    TimezoneName,
    check_timezone,
)

Status = Literal["proposed", "confirmed", "cancelled"]
Choice = Literal["yes", "maybe", "no"]

MAX_OPTIONS = 20
MAX_CAPACITY = 10_000
MAX_GUESTS = 10
MAX_OPTION_LENGTH = timedelta(days=14)

EventId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the event's id")]

# Timezone-aware only: a naive time means nothing to people in different zones.
AwareDatetime = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="ISO 8601 with an offset, e.g. 2026-03-14T12:00:00Z"),
]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=MAX_CAPACITY, description="seats, guests included")]
Guests = Annotated[int, msgspec.Meta(ge=0, le=MAX_GUESTS)]


class TimeOptionIn(RequestBody):
    start: AwareDatetime
    end: AwareDatetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a time option's end must be after its start")
        if self.end - self.start > MAX_OPTION_LENGTH:
            raise ValueError("a time option may last at most 14 days")


class VenueIn(RequestBody):
    """Coordinates, if not given, are looked up from the address (or else the name);
    a venue no geocoder knows is kept without them."""

    name: ShortText
    address: ShortText | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None

    def __post_init__(self) -> None:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")


def same_place(name: str, address: str | None) -> str:
    """A place's name and address as people compare them: case, accents, spacing and
    punctuation aside ("The Crown, York" is "the crown york")."""
    text = anyascii(f"{name} {address or ''}").casefold()
    words = " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())
    # A name of punctuation or symbols alone keeps them: "!!!" is not "???".
    return (words or " ".join(f"{name} {address or ''}".casefold().split()))[:420]


class EventCreate(RequestBody):
    title: ShortText
    timezone: TimezoneName
    time_options: Annotated[list[TimeOptionIn], msgspec.Meta(min_length=1, max_length=MAX_OPTIONS)]
    description: LongText = ""
    capacity: Capacity | None = None
    venue: VenueIn | None = None
    # Where, asked beside when (a joint poll); each located as a venue is.
    place_options: Annotated[list[VenueIn], msgspec.Meta(max_length=MAX_OPTIONS)] = msgspec.field(
        default_factory=list
    )

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        spans = [(option.start, option.end) for option in self.time_options]
        if len(set(spans)) != len(spans):
            raise ValueError("the same time option is listed twice")
        places = [same_place(place.name, place.address) for place in self.place_options]
        if len(set(places)) != len(places):
            raise ValueError("the same place option is listed twice")


class EventUpdate(RequestBody):
    """Only what is sent changes; null clears the venue or lifts the capacity limit."""

    title: ShortText | msgspec.UnsetType = msgspec.UNSET
    description: LongText | msgspec.UnsetType = msgspec.UNSET
    venue: VenueIn | msgspec.UnsetType | None = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType | None = msgspec.UNSET


class Confirm(RequestBody):
    option_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    venue: VenueIn | None = None
    place_option_id: Annotated[int, msgspec.Meta(ge=1)] | None = None

    def __post_init__(self) -> None:
        if self.venue is not None and self.place_option_id is not None:
            raise ValueError("give a venue or a place_option_id, not both")


class VoteCounts(ResponseBody):
    yes: int
    maybe: int
    no: int


class TimeOption(ResponseBody):
    id: int
    start: datetime
    end: datetime
    votes: VoteCounts


class Venue(ResponseBody):
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None


class PlaceOption(ResponseBody):
    id: int
    name: str
    address: str | None
    latitude: float | None
    longitude: float | None
    added_by: int | None
    votes: VoteCounts


class RsvpCounts(ResponseBody):
    yes: int  # members holding a seat
    maybe: int
    no: int
    waitlisted: int  # members waiting for a seat
    guests: int  # guests of the seated members


class Event(ResponseBody):
    id: int
    group_id: int
    title: str
    description: str
    status: Status
    timezone: str
    created_by: int | None
    time_options: list[TimeOption]
    place_options: list[PlaceOption]  # in the order added
    start: datetime | None
    end: datetime | None
    venue: Venue | None
    capacity: int | None
    rsvp_counts: RsvpCounts
    sequence: int
    created_at: datetime
    updated_at: datetime


OptionVotes = Annotated[dict[int, Choice], msgspec.Meta(max_length=MAX_OPTIONS)]


class Votes(RequestBody):
    """Option id -> choice, for time options and place options. Each map that is sent
    replaces the caller's votes of its kind (those on options left out are removed); one
    left out leaves them as they are."""

    votes: OptionVotes | msgspec.UnsetType = msgspec.UNSET
    place_votes: OptionVotes | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if self.votes is msgspec.UNSET and self.place_votes is msgspec.UNSET:
            raise ValueError("send votes, place_votes or both")


class MyVotes(ResponseBody):
    votes: dict[int, Choice]
    place_votes: dict[int, Choice]


class RsvpIn(RequestBody):
    status: Choice
    guests: Guests = 0
    note: LongText = ""


class Rsvp(ResponseBody):
    user_id: int
    status: Choice
    guests: int
    waitlisted: bool
    waitlist_position: int | None


class RsvpEntry(Rsvp):
    name: str
    note: str
