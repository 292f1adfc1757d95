"""Unit tests of rendezvous.core.conditional: when a GET gets 304 Not Modified (RFC 9110 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.core.conditional import etag_matches, not_modified

ETAG = '"3f2a9c"'
# Sub-second, as a database timestamp is; HTTP dates have whole seconds.
LAST_MODIFIED = datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
SAME_SECOND = "Tue, 03 Feb 2026 04:05:06 GMT"
SECOND_LATER = "Tue, 03 Feb 2026 04:05:07 GMT"
SECOND_EARLIER = "Tue, 03 Feb 2026 04:05:05 GMT"


# id: (If-None-Match, does it match ETAG)
IF_NONE_MATCH = {
    "exact": ('"3f2a9c"', True),
    "other-tag": ('"3f2a9d"', False),
    "prefix-of-tag": ('"3f2a"', False),
    "weak-header": ('W/"3f2a9c"', True),
    "list-match-last": ('"aaa", "3f2a9c"', True),
    "list-match-first": ('"3f2a9c", "aaa"', True),
    "list-no-spaces": ('"aaa","3f2a9c","bbb"', True),
    "list-weak-member": ('"aaa", W/"3f2a9c"', True),
    "list-no-match": ('"aaa", "bbb"', False),
    "list-trailing-comma": ('"3f2a9c",', True),
    "star": ("*", True),
    "star-padded": ("  *  ", True),
    "padded": ('  "3f2a9c"  ', True),
    "unquoted": ("3f2a9c", False),
    "lower-case-weak-marker": ('w/"3f2a9c"', False),  # "W/" is case-sensitive
    "empty": ("", False),
}


@pytest.mark.parametrize(("header", "matches"), IF_NONE_MATCH.values(), ids=IF_NONE_MATCH.keys())
def test_if_none_match(header: str, matches: bool) -> None:
    assert etag_matches(header, ETAG) is matches
    # If-None-Match decides alone: a matching or stale If-Modified-Since changes nothing.
    for since in (None, SAME_SECOND, SECOND_LATER, SECOND_EARLIER, "nonsense"):
        assert not_modified(header, since, ETAG, LAST_MODIFIED) is matches, since


def test_weak_etag_compares_weakly() -> None:
    """GET compares weakly: W/"x" and "x" are the same tag whichever side is weak."""
    assert etag_matches('"3f2a9c"', 'W/"3f2a9c"')
    assert etag_matches('W/"3f2a9c"', 'W/"3f2a9c"')
    assert not etag_matches('W/"other"', 'W/"3f2a9c"')


def test_non_matching_if_none_match_wins_over_a_matching_if_modified_since() -> None:
    assert not_modified(None, SECOND_LATER, ETAG, LAST_MODIFIED) is True
    assert not_modified('"stale"', SECOND_LATER, ETAG, LAST_MODIFIED) is False


# id: (If-Modified-Since, 304?)
IF_MODIFIED_SINCE = {
    "same-second": (SAME_SECOND, True),  # the fraction of a second is not in the header
    "later": (SECOND_LATER, True),
    "much-later": ("Fri, 01 Jan 2100 00:00:00 GMT", True),
    "earlier": (SECOND_EARLIER, False),
    "much-earlier": ("Thu, 01 Jan 1970 00:00:00 GMT", False),
    "same-instant-other-offset": ("Tue, 03 Feb 2026 05:05:06 +0100", True),
    "earlier-instant-other-offset": ("Tue, 03 Feb 2026 05:05:06 +0200", False),
    "rfc-850-date": ("Tuesday, 03-Feb-26 04:05:06 GMT", True),
    "invalid-text": ("yesterday", False),
    "invalid-day": ("Tue, 32 Feb 2026 04:05:06 GMT", False),
    "invalid-hour": ("Tue, 03 Feb 2026 25:05:06 GMT", False),
    "empty": ("", False),
    # HTTP dates are UTC, whether or not they say so (RFC 9110 5.6.7)
    "no-zone": ("Tue, 03 Feb 2026 04:05:06", True),
    "no-zone-earlier": ("Tue, 03 Feb 2026 04:05:05", False),
    "unknown-zone-minus-0000": ("Tue, 03 Feb 2026 05:00:00 -0000", True),
    "asctime": ("Tue Feb  3 04:05:06 2026", True),
}


@pytest.mark.parametrize(
    ("header", "expected"), IF_MODIFIED_SINCE.values(), ids=IF_MODIFIED_SINCE.keys()
)
def test_if_modified_since(header: str, expected: bool) -> None:
    assert not_modified(None, header, ETAG, LAST_MODIFIED) is expected


def test_no_conditional_headers() -> None:
    assert not_modified(None, None, ETAG, LAST_MODIFIED) is False


def test_last_modified_in_another_zone() -> None:
    tokyo = LAST_MODIFIED.astimezone(timezone(timedelta(hours=9)))
    assert not_modified(None, SAME_SECOND, ETAG, tokyo) is True
    assert not_modified(None, SECOND_EARLIER, ETAG, tokyo) is False


def test_whole_second_last_modified() -> None:
    exact = LAST_MODIFIED.replace(microsecond=0)
    assert not_modified(None, SAME_SECOND, ETAG, exact) is True
    assert not_modified(None, SECOND_EARLIER, ETAG, exact) is False


# Tag characters: RFC 9110's etagc (printable ASCII but the double quote), commas included.
opaque = st.text(st.characters(min_codepoint=0x23, max_codepoint=0x7E), min_size=1)


@settings(derandomize=True, database=None)
@given(
    st.lists(st.tuples(opaque, st.booleans()), max_size=6),
    opaque,
    st.booleans(),
    st.sampled_from([",", ", ", " , ", ",\t"]),
)
def test_if_none_match_lists(
    tags: list[tuple[str, bool]], etag: str, weak_etag: bool, separator: str
) -> None:
    def tag(value: str, weak: bool) -> str:
        return f'{"W/" if weak else ""}"{value}"'

    header = separator.join(tag(value, weak) for value, weak in tags)
    expected = etag in {value for value, _ in tags}
    assert etag_matches(header, tag(etag, weak_etag)) is expected
    assert not_modified(header, SECOND_LATER, tag(etag, weak_etag), LAST_MODIFIED) is expected


def test_a_comma_inside_an_entity_tag() -> None:
    assert etag_matches('"a,b"', '"a,b"')
