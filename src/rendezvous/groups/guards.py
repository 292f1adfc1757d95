"""Who may touch a group: outsiders get 404 (the group is not revealed), members
without the role 403. The caller's role is left in request state for the handler
(groups.deps.provide_caller_role)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.schemas import checked_path_id
from rendezvous.groups import queries
from rendezvous.groups.schemas import ADMIN_ROLES, Role

ROLE_STATE_KEY = "group_role"


async def _caller_role(connection: ASGIConnection[Any, Any, Any, Any]) -> Role:
    group_id = checked_path_id(connection, "group_id")
    role = await queries.role_of(group_id, connection.user.id)
    if role is None:
        raise NotFound("Group not found")
    connection.state[ROLE_STATE_KEY] = role
    return role  # type: ignore[return-value]


async def requires_member(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    await _caller_role(connection)


async def requires_group_admin(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if await _caller_role(connection) not in ADMIN_ROLES:
        raise Forbidden("Only the group's owners and admins can do this")


async def requires_group_owner(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    if await _caller_role(connection) != "owner":
        raise Forbidden("Only the group's owners can do this")
