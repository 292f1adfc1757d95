"""Request and response bodies for users and API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.params import Parameter

from rendezvous.core.schemas import (
    MAX_ID,
    Email,
    Name,
    RequestBody,
    ResponseBody,
    ShortText,
    TimezoneName,
    check_timezone,
)


class User(ResponseBody):
    id: int
    name: str
    email: str | None
    email_verified: bool
    email_notifications: bool
    region: str | None
    region_label: str | None
    timezone: str | None
    created_at: datetime


class UserCreate(RequestBody):
    name: Name
    email: Email | None = None
    region: ShortText | None = None
    timezone: TimezoneName | None = None

    def __post_init__(self) -> None:
        check_timezone(self.timezone)


class UserUpdate(RequestBody):
    """Only the fields sent change; null clears an optional field."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    email: Email | msgspec.UnsetType | None = msgspec.UNSET
    email_notifications: bool | msgspec.UnsetType = msgspec.UNSET
    region: ShortText | msgspec.UnsetType | None = msgspec.UNSET
    timezone: TimezoneName | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.timezone, str):
            check_timezone(self.timezone)


class SignUp(ResponseBody):
    user: User
    token: str  # shown this once; only its hash is kept


class TokenCreate(RequestBody):
    name: Name = "API token"


class NewToken(ResponseBody):
    id: int
    name: str
    token: str


class Token(ResponseBody):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


TokenId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the token's id")]


class Caller(msgspec.Struct, frozen=True):
    """Who is asking, as `request.user` once a request passed the authentication entry
    point (accounts.auth): the account's id and the id of the token it used."""

    id: int
    token_id: int


# A request that passed the authentication entry point: `request.auth` is the token's id.
AuthedRequest = Request[Caller, int, State]
