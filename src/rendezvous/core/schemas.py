"""Shared pieces of the HTTP boundary: base Structs, text and id limits, pages."""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.connection import ASGIConnection

from rendezvous.core.errors import Invalid

MAX_ID = 2**63 - 1  # ids are 64-bit; larger numbers cannot name anything

# Text must not be blank, and no text may hold a NUL (PostgreSQL cannot store one).
_NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
_NO_NUL = r"^[^\x00]*$"

Name = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=100, pattern=_NOT_BLANK, description="1-100 characters, not blank"
    ),
]
ShortText = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=200, pattern=_NOT_BLANK, description="1-200 characters, not blank"
    ),
]
LongText = Annotated[
    str, msgspec.Meta(max_length=5000, pattern=_NO_NUL, description="at most 5,000 characters")
]
Email = Annotated[
    str,
    msgspec.Meta(
        max_length=254,
        pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$",
        description="an e-mail address",
        examples=["ann@example.org"],
    ),
]
TimezoneName = Annotated[
    str,
    msgspec.Meta(
        min_length=1, max_length=64, description="an IANA time zone", examples=["Europe/London"]
    ),
]
Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, description="degrees north")]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, description="degrees east")]


def checked_path_id(connection: ASGIConnection, key: str) -> int:
    """An id from the path, range-checked here because guards run before Litestar
    validates parameters: a larger number would overflow PostgreSQL's bigint."""
    value: int = connection.path_params[key]
    if not 1 <= value <= MAX_ID:
        raise Invalid(f"{key} must be between 1 and {MAX_ID}")
    return value


def path_id_or_zero(connection: ASGIConnection, key: str) -> int:
    """The id from the path, or 0 (no row's id) when out of range: for a lookup that must
    run before `checked_path_id` answers 400, such as one that also checks the token."""
    value: int = connection.path_params[key]
    return value if 1 <= value <= MAX_ID else 0


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str | None) -> None:
    """Raise ValueError (a 400 from msgspec's __post_init__) for an unknown IANA zone."""
    if name is not None and name not in known_timezones():
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as 'Europe/London'")


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused with a 400."""


class ResponseBody(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


T = TypeVar("T")


class Page(ResponseBody, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    total: int
