"""Who may touch an event: members of its group (others get 404); the proposer and the
group's owners and admins may also edit, confirm and cancel it (other members get 403).
What the guard found is left in request state (events.deps.provide_access)."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.schemas import checked_path_id
from rendezvous.events.services import Access, find_access
from rendezvous.groups.schemas import ADMIN_ROLES

ACCESS_STATE_KEY = "event_access"


async def _access(connection: ASGIConnection[Any, Any, Any, Any]) -> Access:
    event_id = checked_path_id(connection, "event_id")
    access = await find_access(event_id, connection.user.id)
    if access is None:
        raise NotFound("Event not found")
    connection.state[ACCESS_STATE_KEY] = access
    return access


async def requires_event_member(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    await _access(connection)


async def requires_event_organiser(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    access = await _access(connection)
    if access.role not in ADMIN_ROLES and access.created_by != connection.user.id:
        raise Forbidden("Only the proposer or the group's owners and admins can do this")
