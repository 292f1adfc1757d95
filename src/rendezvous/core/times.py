"""Times as people read them, in a zone of their choosing: mails and chat messages say
"Saturday 14 March 2026, 11:00\N{EN DASH}16:00 GMT" the same way. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Named here, not through the locale, so that a server's LC_TIME never changes a mail.
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

_DASH = "\N{EN DASH}"


def zone_of(name: str) -> tzinfo:
    # A zone this Python does not know must not stop a message: UTC is still right, only less
    # friendly.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def localised(moment: datetime, zone: tzinfo) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"a time shown to people must be timezone-aware, not {moment!r}")
    return moment.astimezone(zone)


def abbreviation(local: datetime) -> str:
    """GMT, BST, EST...; where the zone has no letters (Asia/Dubai says "+04"), UTC+4."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or timedelta()
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours}:{minutes:02}" if minutes else f"UTC{sign}{hours}"


def day(local: datetime) -> str:
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"


def clock(local: datetime) -> str:
    return f"{local:%H:%M}"


def when(start: datetime, end: datetime | None, tz: str) -> str:
    """A time span as people read it, in zone `tz`.

    "Saturday 14 March 2026, 11:00-16:00 GMT" (with an en dash); across midnight or a change
    of clocks, each end says what it needs: "Saturday 14 March 2026, 18:00 - Sunday 15 March
    2026, 16:00 GMT".
    """
    zone = zone_of(tz)
    first = localised(start, zone)
    if end is None or end <= start:
        return f"{day(first)}, {clock(first)} {abbreviation(first)}"
    last = localised(end, zone)
    # An evening that ends at midnight is still that evening.
    ends_at_midnight = last.time() == datetime.min.time() and (
        last.date() - first.date() == timedelta(days=1)
    )
    if last.date() == first.date() or (ends_at_midnight and end - start < timedelta(days=1)):
        if abbreviation(first) == abbreviation(last):
            return f"{day(first)}, {clock(first)}{_DASH}{clock(last)} {abbreviation(last)}"
        return (
            f"{day(first)}, {clock(first)} {abbreviation(first)}"
            f" {_DASH} {clock(last)} {abbreviation(last)}"
        )
    opening = f"{day(first)}, {clock(first)}"
    if abbreviation(first) != abbreviation(last):
        opening += f" {abbreviation(first)}"
    return f"{opening} {_DASH} {day(last)}, {clock(last)} {abbreviation(last)}"


def short(start: datetime, tz: str) -> str:
    """For subjects: "Sat 14 Mar 2026 11:00 (GMT)"."""
    moment = localised(start, zone_of(tz))
    weekday = DAYS[moment.weekday()][:3]
    month = MONTHS[moment.month - 1][:3]
    return f"{weekday} {moment.day} {month} {moment.year} {clock(moment)} ({abbreviation(moment)})"


def day_label(local: datetime) -> str:
    return f"{local.day} {MONTHS[local.month - 1]}"
