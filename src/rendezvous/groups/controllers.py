"""HTTP handlers for groups, members and invites."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.schemas import MAX_ID, Page
from rendezvous.groups import services
from rendezvous.groups.guards import (
    provide_caller_role,
    provide_group_by_token,
    requires_group_admin,
    requires_group_owner,
    requires_member,
)
from rendezvous.groups.schemas import (
    Group,
    GroupCreate,
    GroupSummary,
    GroupUpdate,
    Invite,
    InviteCreate,
    Member,
    Membership,
    NewInvite,
    Role,
    RoleUpdate,
)

GroupId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the group's id")]
UserId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the member's user id")]
InviteId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the invite's id")]
InviteCode = Annotated[str, Parameter(min_length=1, description="the invite code")]


class GroupController(Controller):
    path = "/groups"
    tags = ["groups"]
    dependencies = {
        "caller_role": Provide(provide_caller_role, sync_to_thread=False),
    }

    @post("/", operation_id="createGroup", responses=errors(400, 401, 413))
    async def create_group(self, request: AuthedRequest, data: JSONBody[GroupCreate]) -> Group:
        """Create a group; the caller becomes its owner."""
        return await services.create_group(request.user.id, data)

    @get("/", operation_id="listGroups", responses=errors(400, 401))
    async def list_groups(
        self, request: AuthedRequest, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> Page[GroupSummary]:
        """The caller's groups, oldest first."""
        return await services.list_groups(request.user.id, limit, offset)

    @get(
        "/{group_id:int}",
        operation_id="getGroup",
        dependencies={"group": Provide(provide_group_by_token)},
        opt={EXCLUDE_FROM_AUTH: True},
        responses=errors(400, 401, 404),
    )
    async def get_group(self, group_id: GroupId, group: NamedDependency[Group]) -> Group:
        """A group with its members (names, roles, region labels; never coordinates)."""
        return group

    @patch(
        "/{group_id:int}",
        operation_id="updateGroup",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404, 413),
    )
    async def update_group(
        self, group_id: GroupId, caller_role: NamedDependency[Role], data: JSONBody[GroupUpdate]
    ) -> Group:
        """Rename or re-describe a group (owners and admins)."""
        return await services.update_group(group_id, caller_role, data)

    @delete(
        "/{group_id:int}",
        operation_id="deleteGroup",
        guards=[requires_group_owner],
        responses=errors(400, 401, 403, 404),
    )
    async def delete_group(self, group_id: GroupId) -> None:
        """Delete a group with its memberships and invites (owners)."""
        await services.delete_group(group_id)

    @patch(
        "/{group_id:int}/members/{user_id:int}",
        operation_id="changeMemberRole",
        guards=[requires_group_owner],
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def change_role(
        self, request: AuthedRequest, group_id: GroupId, user_id: UserId, data: JSONBody[RoleUpdate]
    ) -> Member:
        """Make a member an owner, admin or plain member (owners). The last owner
        cannot step down (409)."""
        return await services.change_role(group_id, request.user.id, user_id, data.role)

    @delete(
        "/{group_id:int}/members/{user_id:int}",
        operation_id="removeMember",
        guards=[requires_member],
        responses=errors(400, 401, 403, 404, 409),
    )
    async def remove_member(
        self, request: AuthedRequest, group_id: GroupId, user_id: UserId
    ) -> None:
        """Leave (your own user id) or remove a member: owners remove anyone, admins
        remove plain members. The last owner cannot leave (409)."""
        await services.remove_member(group_id, request.user.id, user_id)

    @post(
        "/{group_id:int}/invites",
        operation_id="createInvite",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404, 413),
    )
    async def create_invite(
        self, request: AuthedRequest, group_id: GroupId, data: JSONBody[InviteCreate | None] = None
    ) -> NewInvite:
        """Create an invite code (owners and admins): single-use and valid for 72 hours
        unless `max_uses` / `expires_in_hours` say otherwise. The code is shown only this once."""
        return await services.create_invite(group_id, request.user.id, data or InviteCreate())

    @get(
        "/{group_id:int}/invites",
        operation_id="listInvites",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404),
    )
    async def list_invites(
        self, group_id: GroupId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> Page[Invite]:
        """The group's invites, newest first, with their uses (owners and admins)."""
        return await services.list_invites(group_id, limit, offset)

    @delete(
        "/{group_id:int}/invites/{invite_id:int}",
        operation_id="revokeInvite",
        guards=[requires_group_admin],
        responses=errors(400, 401, 403, 404),
    )
    async def revoke_invite(self, group_id: GroupId, invite_id: InviteId) -> None:
        """Revoke an invite: its code stops working at once (owners and admins)."""
        await services.revoke_invite(group_id, invite_id)


class InviteController(Controller):
    path = "/invites"
    tags = ["groups"]

    @post(
        "/{code:str}/accept",
        operation_id="acceptInvite",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_200_OK: ResponseSpec(Membership, description="Already a member; nothing changed"),
            **errors(400, 401, 404, 409, 410),
        },
    )
    async def accept_invite(self, request: AuthedRequest, code: InviteCode) -> Response[Membership]:
        """Join the invite's group (201); 200 if already a member, which uses up nothing."""
        membership, joined = await services.accept_invite(code, request.user.id)
        return Response(membership, status_code=HTTP_201_CREATED if joined else HTTP_200_OK)
