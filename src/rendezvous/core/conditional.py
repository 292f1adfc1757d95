"""Conditional GET (RFC 9110 section 13): does the client's copy still match?

Litestar answers every GET in full; handlers that can tell their validators cheaply
use this to answer 304 instead.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime


def _opaque(tag: str) -> str:
    """An entity tag without its weakness marker: GET compares tags weakly."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    # Tags are quoted strings that may not contain quotes, so a comma outside a
    # tag can only separate two of them.
    return _opaque(etag) in {_opaque(tag) for tag in if_none_match.split(",") if tag.strip()}


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
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since
