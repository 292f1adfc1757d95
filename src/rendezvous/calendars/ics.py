"""iCalendar in and out, pure: invites (RFC 5546 REQUEST/CANCEL), feeds, and replies.

Values in, bytes out; no database and no HTTP. Serialisation is the icalendar package's,
with two exceptions, each measured against icalendar 7.3:
- TEXT escaping: icalendar reads a backslash followed by N in a title as a line break
  ("C:\\New" would become "C:" and "ew"); `_Text` escapes exactly as RFC 5545 says.
- VTIMEZONE: `Timezone.from_tzinfo` dates each spring-forward onset in the new offset
  (02:00 for London's 01:00 GMT change), an hour late in RFC 5545's reading;
  `vtimezone` finds each transition itself and dates its onset in the old offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Component,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vText,
)
from icalendar.parser import Contentline

from rendezvous import __version__

PRODID = f"-//Rendezvous//Rendezvous {__version__}//EN"
Method = Literal["REQUEST", "CANCEL"]
PartStat = Literal["ACCEPTED", "TENTATIVE", "DECLINED", "NEEDS-ACTION"]

# The reminder an invite carries: the day before, when people plan their journey.
REMINDER = timedelta(days=1)
# A VTIMEZONE covers the event's own dates, with this much room either side (the
# reminder fires a day early; a client may show the day before and after).
_ZONE_MARGIN = timedelta(days=2)
# Transitions are looked for at this step, then pinned to the second by bisection.
# No zone changes its offset twice within six hours.
_ZONE_STEP_S = 6 * 3600
# What Python's datetime can hold, with a day's room for any UTC offset.
_EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
_LATEST = datetime(9999, 12, 30, tzinfo=UTC)

# RFC 5545 TEXT allows no control characters but a (escaped) line feed and a tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class InvalidCalendar(ValueError):
    """The bytes are not an iCalendar object this service can take."""


@dataclass(frozen=True, slots=True)
class Person:
    address: str  # a cal-address URI, e.g. mailto:ada@example.org
    name: str


@dataclass(frozen=True, slots=True)
class Attendee:
    person: Person
    partstat: PartStat
    role: Literal["CHAIR", "REQ-PARTICIPANT"]
    rsvp: bool = False  # the one the invite asks to answer


@dataclass(frozen=True, slots=True)
class CalendarEvent:
    uid: str
    sequence: int
    status: Literal["CONFIRMED", "CANCELLED"]
    title: str
    description: str
    url: str
    start: datetime  # aware
    end: datetime
    timezone: str  # IANA name: DTSTART and DTEND are written in it
    created: datetime
    last_modified: datetime
    location: str | None = None
    geo: tuple[float, float] | None = None
    organizer: Person | None = None
    attendees: tuple[Attendee, ...] = ()


@dataclass(frozen=True, slots=True)
class Reply:
    """The parts of an iTIP REPLY that answer an invite."""

    uid: str
    sequence: int
    attendee: str  # the cal-address, as sent
    partstat: str
    guests: int | None  # X-NUM-GUESTS, as Google Calendar sends it
    comment: str | None


# --- text ------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Text as RFC 5545 can carry it: line breaks as \\n, no other control characters."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class _Text(vText):
    """TEXT escaped exactly as RFC 5545 3.3.11 says (see the module docstring)."""

    def to_ical(self) -> bytes:
        escaped = (
            clean_text(str(self))
            .replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\n", "\\n")
        )
        return escaped.encode("utf-8")


def _param(text: str) -> str:
    """A parameter value (CN): one line, no controls; icalendar quotes it (RFC 6868)."""
    return " ".join(clean_text(text).split())


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(person.address)
    address.params["CN"] = _param(person.name)
    for name, value in params.items():
        address.params[name.replace("_", "-").upper()] = value
    return address


# --- time zones ------------------------------------------------------------------------

_State = tuple[timedelta, timedelta, str]  # UTC offset, DST part, abbreviation


def _state(zone: ZoneInfo, timestamp: int) -> _State:
    local = datetime.fromtimestamp(timestamp, zone)
    return local.utcoffset() or timedelta(), local.dst() or timedelta(), local.tzname() or ""


@lru_cache(maxsize=512)
def _observances(tzid: str, first: date, last: date) -> tuple[tuple[datetime, _State, _State], ...]:
    """(onset in the old offset's local time, state before, state after) from `first`
    to `last`; the first entry is the state at `first`, before and after alike."""
    zone = ZoneInfo(tzid)
    t = int(datetime.combine(first, time(), UTC).timestamp())
    end = int(datetime.combine(last, time(), UTC).timestamp())
    state = _state(zone, t)
    found = [(datetime.fromtimestamp(t, UTC).replace(tzinfo=None) + state[0], state, state)]
    while t < end:
        step = min(t + _ZONE_STEP_S, end)
        if _state(zone, step) == state:
            t = step
            continue
        low, high = t, step  # the state changes after low, at or before high
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if _state(zone, middle) == state else (low, middle)
        after = _state(zone, high)
        onset = datetime.fromtimestamp(high, UTC).replace(tzinfo=None) + state[0]
        found.append((onset, state, after))
        t, state = high, after
    return tuple(found)


def vtimezone(tzid: str, first: datetime, last: datetime) -> Timezone:
    """A VTIMEZONE for `tzid` that is exact from `first` to `last` (widened by a margin),
    with one observance per transition: a handful of lines, not decades of rules."""
    start = max(first.astimezone(UTC), _EARLIEST + _ZONE_MARGIN) - _ZONE_MARGIN
    stop = min(last.astimezone(UTC), _LATEST - _ZONE_MARGIN) + _ZONE_MARGIN
    component = Timezone()
    component.add("TZID", tzid)
    for onset, before, after in _observances(tzid, start.date(), stop.date()):
        observance = TimezoneDaylight() if after[1] else TimezoneStandard()
        observance.add("DTSTART", onset)
        observance.add("TZOFFSETFROM", before[0])
        observance.add("TZOFFSETTO", after[0])
        if after[2]:
            observance.add("TZNAME", after[2])
        component.add_component(observance)
    return component


def _local(moment: datetime, tzid: str) -> datetime:
    """`moment` as wall time in `tzid`, or in UTC where wall time is ambiguous (an hour
    that clocks go through twice): RFC 5545 reads such a time as the first pass, but
    ical.js (Thunderbird) reads it as the second, so only UTC means the same to both."""
    try:
        local = moment.astimezone(ZoneInfo(tzid))
    except OverflowError:  # the first or last hours of year 1 or 9999, far from UTC
        return moment.astimezone(UTC)
    if local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset():
        return moment.astimezone(UTC)
    return local


def _add_timezones(calendar: Calendar, pairs: Sequence[tuple[CalendarEvent, Event]]) -> None:
    """A VTIMEZONE for each TZID the events' DTSTART and DTEND use (times written in UTC
    need none), covering the events in that zone."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for event, vevent in pairs:
        if not {vevent[name].params.get("TZID") for name in ("DTSTART", "DTEND")} - {None}:
            continue
        low, high = spans.get(event.timezone, (event.start, event.end))
        spans[event.timezone] = (min(low, event.start), max(high, event.end))
    for tzid in sorted(spans):
        calendar.add_component(vtimezone(tzid, *spans[tzid]))


# --- building --------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(microsecond=0)


def _vevent(event: CalendarEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("UID", event.uid)
    vevent.add("DTSTAMP", _utc(stamp))
    vevent.add("SEQUENCE", event.sequence)
    vevent.add("DTSTART", _local(event.start, event.timezone))
    vevent.add("DTEND", _local(event.end, event.timezone))
    vevent.add("SUMMARY", _Text(event.title))
    vevent.add("DESCRIPTION", _Text(event.description))
    if event.location:
        vevent.add("LOCATION", _Text(event.location))
    if event.geo is not None:
        vevent.add("GEO", event.geo)
    vevent.add("URL", event.url)
    vevent.add("STATUS", event.status)
    vevent.add("CREATED", _utc(event.created))
    vevent.add("LAST-MODIFIED", _utc(event.last_modified))
    return vevent


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if method:
        calendar.add("METHOD", method)
    return calendar


def invite(event: CalendarEvent, method: Method, stamp: datetime) -> bytes:
    """An iTIP REQUEST (or CANCEL) with one VEVENT, its VTIMEZONE and, for a REQUEST,
    a reminder. `stamp` is when this message is made (DTSTAMP)."""
    calendar = _calendar(method)
    vevent = _vevent(event, stamp)
    _add_timezones(calendar, [(event, vevent)])
    if event.organizer is not None:
        vevent.add("ORGANIZER", _address(event.organizer))
    for attendee in event.attendees:
        params = {"cutype": "INDIVIDUAL", "role": attendee.role, "partstat": attendee.partstat}
        if attendee.rsvp:
            params["rsvp"] = "TRUE"
        vevent.add("ATTENDEE", _address(attendee.person, **params))
    if method == "REQUEST":
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")
        alarm.add("DESCRIPTION", _Text(f"Reminder: {event.title}"))
        alarm.add("TRIGGER", -REMINDER)
        vevent.add_component(alarm)
    calendar.add_component(vevent)
    return calendar.to_ical()


def addressed(invite: bytes, placeholder: str, organizer: str, attendee: str) -> bytes:
    """`invite` (made with ORGANIZER `placeholder` and nobody asked to answer) as one
    recipient's copy: ORGANIZER `organizer`, and the ATTENDEE at `attendee` asked to
    answer (RSVP=TRUE). Two lines are written again and the rest kept as they are: a
    group's invites differ in nothing else, and writing each whole costs a few
    milliseconds per attendee (bench/README.md, Mail)."""
    groups: list[list[bytes]] = []
    for physical in invite.split(b"\r\n"):
        if physical.startswith(b" ") and groups:
            groups[-1].append(physical)
        else:
            groups.append([physical])
    organizer_end = f":{placeholder}".encode()
    attendee_end = f":{attendee}".encode()
    out = []
    for group in groups:
        line = group[0] + b"".join(part[1:] for part in group[1:])
        if line.startswith(b"ORGANIZER") and line.endswith(organizer_end):
            line = line[: -len(organizer_end)] + f":{organizer}".encode()
        elif line.startswith(b"ATTENDEE") and line.endswith(attendee_end):
            line = line[: -len(attendee_end)] + b";RSVP=TRUE" + attendee_end
        else:
            out.append(b"\r\n".join(group))
            continue
        out.append(Contentline(line.decode("utf-8")).to_ical())  # folded as icalendar does
    return b"\r\n".join(out)


def feed(name: str, events: Iterable[CalendarEvent], refresh: timedelta) -> bytes:
    """A subscription calendar (METHOD:PUBLISH). Each event's DTSTAMP is its last change,
    and events come in a fixed order, so the same events give the same bytes."""
    ordered = sorted(events, key=lambda event: (event.start, event.uid))
    calendar = _calendar("PUBLISH")
    calendar.add("NAME", _Text(name))
    calendar.add("X-WR-CALNAME", _Text(name))
    calendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    pairs = [(event, _vevent(event, event.last_modified)) for event in ordered]
    _add_timezones(calendar, pairs)
    for _, vevent in pairs:
        calendar.add_component(vevent)
    return calendar.to_ical()


# --- reading replies -------------------------------------------------------------------


def _one(items: Sequence[object], what: str) -> object:
    if len(items) != 1:
        raise InvalidCalendar(f"A reply must hold exactly one {what}, not {len(items)}")
    return items[0]


def _all(component: Component, name: str) -> list[object]:
    value = component.get(name)
    return [] if value is None else value if isinstance(value, list) else [value]


def _attendee_param(address: vCalAddress, name: str) -> str | None:
    value = address.params.get(name)
    if value is not None and not isinstance(value, str):
        raise InvalidCalendar(f"ATTENDEE's {name} must be a single value")
    return value


def _comment(vevent: Component) -> str | None:
    """The COMMENTs as one text, without trailing blanks. Google writes
    `COMMENT;X-COMMENTER=mailto:a@b:text` without the quotes RFC 5545 asks for, so its
    address would end up in the text."""
    comments = []
    for item in _all(vevent, "COMMENT"):
        if not isinstance(item, vText):
            raise InvalidCalendar("COMMENT must be text")
        text = str(item)
        if str(item.params.get("X-COMMENTER", "")).lower() == "mailto" and ":" in text:
            text = text.split(":", 1)[1]
        comments.append(text)
    # Outlook ends its comment with a line break nobody typed.
    return clean_text("\n".join(comments)).rstrip() if comments else None


def parse_reply(data: bytes) -> Reply:
    """Read an iTIP REPLY: one VEVENT naming one ATTENDEE and their PARTSTAT."""
    try:
        calendar = Calendar.from_ical(data.decode("utf-8"))
    except Exception as exc:  # whatever icalendar makes of untrusted bytes, it is a 400
        raise InvalidCalendar(f"Not an iCalendar object: {exc}") from None
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise InvalidCalendar("Not an iCalendar object: expected BEGIN:VCALENDAR")
    method = str(calendar.get("METHOD", "")).upper()
    if method != "REPLY":
        raise InvalidCalendar(f"The calendar's METHOD must be REPLY, not {method or 'missing'}")
    vevent = _one(calendar.walk("VEVENT"), "VEVENT")
    assert isinstance(vevent, Event)
    uid = str(_one(_all(vevent, "UID"), "UID")).strip() if "UID" in vevent else ""
    if not uid:
        raise InvalidCalendar("The reply's VEVENT has no UID")
    try:
        sequence = int(vevent.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        raise InvalidCalendar("SEQUENCE must be a whole number") from None
    attendee = _one(_all(vevent, "ATTENDEE"), "ATTENDEE")
    if not isinstance(attendee, vCalAddress) or not str(attendee).strip():
        raise InvalidCalendar("ATTENDEE must be a calendar address, e.g. mailto:you@example.org")
    guests = _attendee_param(attendee, "X-NUM-GUESTS")
    try:
        guest_count = None if guests is None else int(guests)
    except ValueError:
        raise InvalidCalendar(f"X-NUM-GUESTS must be a whole number, not {guests!r}") from None
    return Reply(
        uid=uid,
        sequence=sequence,
        attendee=str(attendee).strip(),
        partstat=(_attendee_param(attendee, "PARTSTAT") or "NEEDS-ACTION").upper(),
        guests=guest_count,
        comment=_comment(vevent),
    )
