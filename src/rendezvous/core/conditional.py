"""Conditional GET (RFC 9110 section 13): does the client's copy still match?

Litestar answers every GET in full; handlers that can tell their validators cheaply
use this to answer 304 instead.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# An entity tag: optionally weak, then a quoted string that may hold commas; in a list,
# each one stands between commas.
_ENTITY_TAG = re.compile(r'(?:W/)?"([^"]*)"')
_LISTED_TAG = re.compile(r'(?:^|,)\s*(?:W/)?"([^"]*)"\s*(?=,|$)')


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 8.8.3.2), as If-None-Match on a GET uses."""
    if if_none_match.strip() == "*":
        return True
    ours = _ENTITY_TAG.fullmatch(etag.strip())
    return ours is not None and ours[1] in _LISTED_TAG.findall(if_none_match.strip())


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, last_modified: datetime
) -> bool:
    """True when a GET with these request headers should get 304. If-None-Match, when
    sent, decides alone; If-Modified-Since counts only without it (section 13.2.2)."""
    if if_none_match is not None:
        return etag_matches(if_none_match, etag)
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored, as the RFC says
    if since.tzinfo is None:  # asctime and "-0000" dates carry no zone: HTTP dates are UTC
        since = since.replace(tzinfo=UTC)
    return last_modified.replace(microsecond=0) <= since
