"""Request and response bodies for groups, members and invites."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from litestar.params import Parameter

from rendezvous.core.schemas import MAX_ID, LongText, Name, RequestBody, ResponseBody

Role = Literal["owner", "admin", "member"]
ADMIN_ROLES: frozenset[Role] = frozenset({"owner", "admin"})

GroupId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the group's id")]
MemberId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the member's user id")]
InviteId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the invite's id")]
InviteCode = Annotated[str, Parameter(min_length=1, description="the invite code")]

MAX_INVITE_USES = 1000
MAX_INVITE_HOURS = 24 * 30


class GroupCreate(RequestBody):
    name: Name
    description: LongText = ""


class GroupUpdate(RequestBody):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    description: LongText | msgspec.UnsetType = msgspec.UNSET


class Member(ResponseBody):
    user_id: int
    name: str
    role: Role
    region_label: str | None
    timezone: str | None
    joined_at: datetime


class GroupSummary(ResponseBody):
    id: int
    name: str
    description: str
    role: Role  # the caller's role in this group
    member_count: int
    created_at: datetime


class Group(GroupSummary):
    members: list[Member]


class RoleUpdate(RequestBody):
    role: Role


class Membership(ResponseBody):
    group_id: int
    user_id: int
    role: Role


class InviteCreate(RequestBody):
    max_uses: Annotated[int, msgspec.Meta(ge=1, le=MAX_INVITE_USES)] = 1
    expires_in_hours: Annotated[int, msgspec.Meta(ge=1, le=MAX_INVITE_HOURS)] = 72


class Invite(ResponseBody):
    id: int
    group_id: int
    expires_at: datetime
    max_uses: int
    uses: int
    created_at: datetime


class NewInvite(Invite):
    code: str  # shown this once; only its hash is kept
