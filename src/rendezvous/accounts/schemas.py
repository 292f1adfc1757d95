"""Request and response bodies for users and API tokens."""

from __future__ import annotations

from datetime import datetime

import msgspec

from rendezvous.core.schemas import (
    Email,
    Name,
    Request,
    Response,
    ShortText,
    TimezoneName,
    check_timezone,
)


class User(Response):
    id: int
    name: str
    email: str | None
    region: str | None
    region_label: str | None
    timezone: str | None
    created_at: datetime


class UserCreate(Request):
    name: Name
    email: Email | None = None
    region: ShortText | None = None
    timezone: TimezoneName | None = None

    def __post_init__(self) -> None:
        check_timezone(self.timezone)


class UserUpdate(Request):
    """Only the fields sent change; null clears an optional field."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | None | msgspec.UnsetType = msgspec.UNSET
    region: ShortText | None | msgspec.UnsetType = msgspec.UNSET
    timezone: TimezoneName | None | msgspec.UnsetType = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.timezone, str):
            check_timezone(self.timezone)


class SignUp(Response):
    user: User
    token: str  # shown this once; only its hash is kept


class TokenCreate(Request):
    name: Name = "API token"


class NewToken(Response):
    id: int
    name: str
    token: str


class Token(Response):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
