"""Who may touch a group: outsiders get 404 (the group is not revealed), members
without the role 403. The caller's role is left in request state for the handler."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from rendezvous.core.auth import bearer_token
from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.schemas import checked_path_id, path_id_or_zero
from rendezvous.groups.schemas import Group, Role
from rendezvous.groups.services import ADMIN_ROLES, find_group_by_token, find_role

ROLE_STATE_KEY = "group_role"


async def _caller_role(connection: ASGIConnection) -> Role:
    group_id = checked_path_id(connection, "group_id")
    role = await find_role(group_id, connection.user.id)
    if role is None:
        raise NotFound("Group not found")
    connection.state[ROLE_STATE_KEY] = role
    return role


async def requires_member(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await _caller_role(connection)


async def provide_group_by_token(request: Request) -> Group:
    """`requires_member` and the group, as a dependency, for a route that skips the
    authentication middleware (GET /groups/{id}): the token, the membership and the group
    with its members are one statement. A dependency rather than a guard because Litestar
    copies the handler for every guard call, which cost as much as the cached read.
    Dependencies resolve before the path parameters are checked, so 401 still comes
    before 400 and 404, as the middleware answers."""
    token = bearer_token(request)
    group = await find_group_by_token(
        path_id_or_zero(request, "group_id"), token, request.app.state.group_members
    )
    checked_path_id(request, "group_id")
    if group is None:
        raise NotFound("Group not found")
    return group


async def requires_group_admin(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if await _caller_role(connection) not in ADMIN_ROLES:
        raise Forbidden("Only the group's owners and admins can do this")


async def requires_group_owner(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if await _caller_role(connection) != "owner":
        raise Forbidden("Only the group's owners can do this")


def provide_caller_role(request: Request) -> Role:
    """The caller's role, as found by the guard."""
    role: Role = request.state[ROLE_STATE_KEY]
    return role
