"""HTTP handlers for groups, members and invites. (Deleting a group, which drops its
chats' waiting deliveries too, and leaving or removing a member, which withdraws their
answers to the group's events, are in rendezvous.flows.)"""

from __future__ import annotations

from litestar import Controller, Response, delete, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.schemas import Page
from rendezvous.groups import services
from rendezvous.groups.deps import provide_caller_role, provide_group_by_token
from rendezvous.groups.guards import requires_group_admin, requires_group_owner
from rendezvous.groups.schemas import (
    Group,
    GroupCreate,
    GroupId,
    GroupSummary,
    GroupUpdate,
    Invite,
    InviteCode,
    InviteCreate,
    InviteId,
    Member,
    MemberId,
    Membership,
    NewInvite,
    Role,
    RoleUpdate,
)


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

    @patch(
        "/{group_id:int}/members/{user_id:int}",
        operation_id="changeMemberRole",
        guards=[requires_group_owner],
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def change_role(
        self,
        request: AuthedRequest,
        group_id: GroupId,
        user_id: MemberId,
        data: JSONBody[RoleUpdate],
    ) -> Member:
        """Make a member an owner, admin or plain member (owners). The last owner
        cannot step down (409)."""
        return await services.change_role(group_id, request.user.id, user_id, data.role)

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
