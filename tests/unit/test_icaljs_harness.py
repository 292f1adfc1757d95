"""The ical.js harness (tests/icaljs.py) converts times through the file's own VTIMEZONE.

ical.js bundles no time zone database, so every expected instant below follows from the
VTIMEZONE written in the test calendar, and never from what the TZID is called.
"""

from __future__ import annotations

from typing import Any

from tests.icaljs import parse_with_icaljs

CRLF = "\r\n"


def ics(*lines: str) -> str:
    """An iCalendar text from its content lines, CRLF-terminated as RFC 5545 requires."""
    return CRLF.join(lines) + CRLF


def calendar(*body: str) -> str:
    return ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//rendezvous tests//EN", *body,
               "END:VCALENDAR")  # fmt: skip


def event(uid: str, dtstart: str, *extra: str) -> tuple[str, ...]:
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T120000Z", dtstart, *extra,
            "END:VEVENT")  # fmt: skip


def fixed_zone(tzid: str, offset: str) -> tuple[str, ...]:
    return ("BEGIN:VTIMEZONE", f"TZID:{tzid}",
            "BEGIN:STANDARD", "DTSTART:19700101T000000",
            f"TZOFFSETFROM:{offset}", f"TZOFFSETTO:{offset}", "END:STANDARD",
            "END:VTIMEZONE")  # fmt: skip


# America/New_York for 2026, one observance per transition and no RRULE/RDATE.
NEW_YORK_2026 = (
    "BEGIN:VTIMEZONE", "TZID:America/New_York",
    "BEGIN:STANDARD", "DTSTART:20260101T000000",
    "TZOFFSETFROM:-0500", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
    "BEGIN:DAYLIGHT", "DTSTART:20260308T020000",
    "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT", "END:DAYLIGHT",
    "BEGIN:STANDARD", "DTSTART:20261101T020000",
    "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST", "END:STANDARD",
    "END:VTIMEZONE",
)  # fmt: skip


def only(*calendars: str) -> dict[str, Any]:
    [result] = parse_with_icaljs(*calendars)
    assert "error" not in result, result
    return result


def starts(result: dict[str, Any]) -> dict[str, str | None]:
    return {e["uid"]: e["start"] for e in result["events"]}


def test_helper_texts_use_crlf() -> None:
    text = calendar(*event("a", "DTSTART:20260115T100000Z"))
    assert text.count("\r\n") == text.count("\n") == 9


def test_custom_zone_without_dst() -> None:
    result = only(
        calendar(
            *fixed_zone("Custom/Zone", "+0530"),
            *event(
                "a",
                "DTSTART;TZID=Custom/Zone:20260115T100000",
                "DTEND;TZID=Custom/Zone:20260115T113000",
            ),
        )
    )
    [ev] = result["events"]
    assert result["timezones"] == ["Custom/Zone"]
    assert ev["start"] == "2026-01-15T04:30:00Z"
    assert ev["end"] == "2026-01-15T06:00:00Z"
    assert ev["start_tzid"] == ev["end_tzid"] == "Custom/Zone"
    assert ev["error"] is None


def test_the_vtimezone_decides_not_the_tzid_name() -> None:
    # Deliberately wrong: London is never UTC+3. ical.js must believe the file.
    result = only(
        calendar(
            *fixed_zone("Europe/London", "+0300"),
            *event("a", "DTSTART;TZID=Europe/London:20260115T100000"),
        )
    )
    assert starts(result) == {"a": "2026-01-15T07:00:00Z"}


def test_dst_zone_with_one_observance_per_transition() -> None:
    tz = "DTSTART;TZID=America/New_York:"
    result = only(
        calendar(
            *NEW_YORK_2026,
            *event("jan", tz + "20260115T100000"),
            *event("jul", tz + "20260715T100000"),
            *event("before-spring-forward", tz + "20260308T013000"),
            *event("after-spring-forward", tz + "20260308T033000"),
            *event("before-fall-back", tz + "20261101T003000"),
            *event("dec", tz + "20261215T100000"),
            *event("duration", tz + "20260715T230000", "DURATION:PT2H"),
        )
    )
    assert starts(result) == {
        "jan": "2026-01-15T15:00:00Z",
        "jul": "2026-07-15T14:00:00Z",
        "before-spring-forward": "2026-03-08T06:30:00Z",
        "after-spring-forward": "2026-03-08T07:30:00Z",
        "before-fall-back": "2026-11-01T04:30:00Z",
        "dec": "2026-12-15T15:00:00Z",
        "duration": "2026-07-16T03:00:00Z",
    }
    assert result["events"][-1]["end"] == "2026-07-16T05:00:00Z"


def test_utc_and_date_values() -> None:
    result = only(
        calendar(
            *event("utc", "DTSTART:20260115T100000Z", "DTEND:20260115T110000Z"),
            *event("day", "DTSTART;VALUE=DATE:20260115", "DTEND;VALUE=DATE:20260116"),
        )
    )
    utc, day = result["events"]
    assert (utc["start"], utc["end"], utc["start_tzid"]) == (
        "2026-01-15T10:00:00Z",
        "2026-01-15T11:00:00Z",
        None,
    )
    assert (day["start"], day["end"], day["error"]) == ("2026-01-15", "2026-01-16", None)


def test_undefined_tzid_is_an_error_not_a_guess() -> None:
    result = only(
        calendar(
            *fixed_zone("Custom/Zone", "+0530"),
            *event("missing", "DTSTART;TZID=Europe/Berlin:20260115T100000"),
            # ical.js has built-in UTC/GMT aliases; the file still has to define the TZID.
            *event("utc-alias", "DTSTART;TZID=UTC:20260115T100000"),
            *event(
                "bad-end",
                "DTSTART;TZID=Custom/Zone:20260115T100000",
                "DTEND;TZID=Nowhere/Zone:20260115T110000",
            ),
            *event("floating", "DTSTART:20260115T100000"),
        )
    )
    missing, utc_alias, bad_end, floating = result["events"]
    assert missing["start"] is None
    assert missing["start_tzid"] == "Europe/Berlin"
    assert "TZID=Europe/Berlin" in missing["error"]
    assert utc_alias["start"] is None
    assert "TZID=UTC" in utc_alias["error"]
    assert bad_end["start"] == "2026-01-15T04:30:00Z"
    assert bad_end["end"] is None
    assert "DTEND has TZID=Nowhere/Zone" in bad_end["error"]
    assert floating["start"] is None
    assert "floating" in floating["error"]


def test_unparseable_calendar_reports_error_and_others_still_parse() -> None:
    good = calendar(*event("a", "DTSTART:20260115T100000Z"))
    first, bad, last = parse_with_icaljs(good, "this is not iCalendar", good.encode())
    assert starts(first) == starts(last) == {"a": "2026-01-15T10:00:00Z"}
    assert set(bad) == {"error"}
    assert bad["error"]


def test_properties_people_alarms_geo_and_escaped_text() -> None:
    text = calendar(
        "METHOD:REQUEST",
        "X-WR-CALNAME:Board games\\, Tuesdays",
        "NAME:Board games\\, Tuesdays",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
        *event(
            "meetup-7@rendezvous",
            "DTSTART:20260115T180000Z",
            "SEQUENCE:3",
            "STATUS:CONFIRMED",
            "SUMMARY:Catan\\, Carcassonne\\; snacks",
            "DESCRIPTION:Line one\\nLine two\\, with a comma\\; and a backslash \\\\",
            "LOCATION:Café Nord\\, back room",
            "URL:https://example.org/meetups/7",
            "GEO:52.520008;13.404954",
            'ORGANIZER;CN="Ann, the host":mailto:ann@example.org',
            "ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE;CUTYPE=INDIVIDUAL:"
            "mailto:bob@example.org",
            "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:cy@example.org",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT30M",
            "DESCRIPTION:Board games in 30 minutes",
            "END:VALARM",
            "BEGIN:VALARM",
            "ACTION:AUDIO",
            "TRIGGER;VALUE=DATE-TIME:20260115T170000Z",
            "END:VALARM",
        ),
    )
    result = only(text)
    assert result["properties"] == {
        "version": "2.0",
        "prodid": "-//rendezvous tests//EN",
        "method": "REQUEST",
        # Properties unknown to ical.js (X-WR-*, RFC 7986 NAME) keep their escapes.
        "x-wr-calname": "Board games\\, Tuesdays",
        "name": "Board games\\, Tuesdays",
        "refresh-interval": "PT1H",
        "x-published-ttl": "PT1H",
    }
    assert result["timezones"] == []
    [ev] = result["events"]
    assert ev == {
        "uid": "meetup-7@rendezvous",
        "sequence": 3,
        "summary": "Catan, Carcassonne; snacks",
        "description": "Line one\nLine two, with a comma; and a backslash \\",
        "location": "Café Nord, back room",
        "status": "CONFIRMED",
        "url": "https://example.org/meetups/7",
        "geo": [52.520008, 13.404954],
        "dtstamp": "2026-01-01T12:00:00Z",
        "start": "2026-01-15T18:00:00Z",
        "end": None,
        "start_tzid": None,
        "end_tzid": None,
        "organizer": {"value": "mailto:ann@example.org", "cn": "Ann, the host"},
        "attendees": [
            {
                "value": "mailto:bob@example.org",
                "cn": "Bob",
                "role": "REQ-PARTICIPANT",
                "partstat": "ACCEPTED",
                "rsvp": "TRUE",
                "cutype": "INDIVIDUAL",
            },
            {
                "value": "mailto:cy@example.org",
                "cn": None,
                "role": "OPT-PARTICIPANT",
                "partstat": "NEEDS-ACTION",
                "rsvp": None,
                "cutype": None,
            },
        ],
        "alarms": [
            {
                "action": "DISPLAY",
                "trigger": "-PT30M",
                "description": "Board games in 30 minutes",
            },
            {"action": "AUDIO", "trigger": "2026-01-15T17:00:00Z", "description": None},
        ],
        "error": None,
    }


def test_bytes_and_folded_lines() -> None:
    text = calendar(
        *event(
            "a",
            "DTSTART:20260115T100000Z",
            "SUMMARY:A long summary that is folded ov",
            " er two lines",
        )
    )
    [result] = parse_with_icaljs(text.encode("utf-8"))
    assert result["events"][0]["summary"] == "A long summary that is folded over two lines"


def test_calendars_in_one_call_do_not_share_zones() -> None:
    defines = calendar(
        *fixed_zone("Shared/Zone", "+0530"),
        *event("a", "DTSTART;TZID=Shared/Zone:20260115T100000"),
    )
    borrows = calendar(*event("b", "DTSTART;TZID=Shared/Zone:20260115T100000"))
    redefines = calendar(
        *fixed_zone("Shared/Zone", "-0800"),
        *event("c", "DTSTART;TZID=Shared/Zone:20260115T100000"),
    )
    results = parse_with_icaljs(defines, borrows, redefines, borrows, defines)
    assert [starts(r) for r in results] == [
        {"a": "2026-01-15T04:30:00Z"},
        {"b": None},
        {"c": "2026-01-15T18:00:00Z"},
        {"b": None},
        {"a": "2026-01-15T04:30:00Z"},
    ]
    assert "TZID=Shared/Zone" in results[1]["events"][0]["error"]
    assert results[1]["timezones"] == []


# Pinned ical.js behaviour a generated VTIMEZONE has to live with (ical.js 2.2.1).


def test_icaljs_uses_offset_zero_before_the_first_observance() -> None:
    # Not the first observance's TZOFFSETFROM: a time before every onset is taken as UTC.
    # A generated VTIMEZONE must therefore start on or before the earliest time it serves.
    result = only(
        calendar(
            *NEW_YORK_2026,
            *event("early", "DTSTART;TZID=America/New_York:20251231T120000"),
        )
    )
    assert starts(result) == {"early": "2025-12-31T12:00:00Z"}


def test_icaljs_reads_only_the_first_value_of_each_rdate_line() -> None:
    zone = (
        "BEGIN:VTIMEZONE", "TZID:Rdate/Zone",
        "BEGIN:STANDARD", "DTSTART:20260101T000000",
        "RDATE:20260101T000000,20261101T020000",  # the second onset is ignored
        "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "END:STANDARD",
        "BEGIN:DAYLIGHT", "DTSTART:20260308T020000", "RDATE:20260308T020000",
        "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "END:DAYLIGHT",
        "END:VTIMEZONE",
    )  # fmt: skip
    result = only(calendar(*zone, *event("dec", "DTSTART;TZID=Rdate/Zone:20261215T100000")))
    assert starts(result) == {"dec": "2026-12-15T14:00:00Z"}  # still -0400, not -0500
