"""Parse iCalendar files with Mozilla's ical.js (Thunderbird's parser) from the tests.

``parse_with_icaljs(*calendars)`` runs ``node tests/calendar_clients/parse.mjs`` once and returns
one dict per calendar, in order: ``{"error": str}`` if ical.js cannot parse it, otherwise::

    {"properties": {name: str},      # first value of each top-level VCALENDAR property,
                                     # lower-case name; properties ical.js doesn't know (X-WR-*,
                                     # NAME) come back raw, still escaped
     "timezones": [tzid, ...],       # the file's VTIMEZONEs
     "events": [{"uid", "sequence" (int), "summary", "description", "location", "status",
                 "url", "geo": [lat, lon] | None, "dtstamp",
                 "start", "end",      # "YYYY-MM-DDTHH:MM:SSZ" (a DATE value: "YYYY-MM-DD")
                 "start_tzid", "end_tzid",
                 "organizer": {"value", "cn"} | None,
                 "attendees": [{"value", "cn", "role", "partstat", "rsvp", "cutype"}],
                 "alarms": [{"action", "trigger", "description"}],
                 "error": str | None}]}

Absent values are None; parameters are the strings as written (``"rsvp": "TRUE"``). start/end
are computed by ical.js from the file's own VTIMEZONE (it bundles no tz database); a TZID the
file does not define, or a floating time, gives None and an event ``"error"`` instead of a
guess. With no DTEND, end is DTSTART + DURATION when there is a DURATION.

Needs Node.js >= 18 and ``npm ci --prefix tests/calendar_clients``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HARNESS_DIR = Path(__file__).parent / "calendar_clients"


def parse_with_icaljs(*calendars: bytes | str) -> list[dict[str, Any]]:
    """Parse each iCalendar text with ical.js; one result dict per calendar (see module doc)."""
    if not (HARNESS_DIR / "node_modules" / "ical.js").is_dir():
        raise AssertionError(
            "ical.js is not installed for the tests; run: npm ci --prefix tests/calendar_clients"
        )
    node = shutil.which("node")
    if node is None:
        raise AssertionError("Node.js (>= 18) is needed to parse calendars with ical.js")
    texts = [c.decode("utf-8") if isinstance(c, bytes) else c for c in calendars]
    proc = subprocess.run(
        [node, str(HARNESS_DIR / "parse.mjs")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"node parse.mjs failed (exit {proc.returncode}):\n{proc.stderr}")
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    assert len(results) == len(texts), proc.stdout
    return results
