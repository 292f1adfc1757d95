"""Who may touch an event: members of its group (others get 404); the proposer and the
group's owners and admins may also edit, confirm and cancel it (other members get 403)."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from rendezvous.core.auth import bearer_token
from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.schemas import checked_path_id, path_id_or_zero
from rendezvous.events.services import Access, find_access, find_access_by_token
from rendezvous.groups.services import ADMIN_ROLES

ACCESS_STATE_KEY = "event_access"


async def _access(connection: ASGIConnection) -> Access:
    event_id = checked_path_id(connection, "event_id")
    access = await find_access(event_id, connection.user.id)
    if access is None:
        raise NotFound("Event not found")
    connection.state[ACCESS_STATE_KEY] = access
    return access


async def requires_event_member(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    await _access(connection)


async def provide_access_by_token(request: Request) -> Access:
    """`requires_event_member` and `provide_access`, as one dependency, for a route that
    skips the authentication middleware: the token, the membership and the event are one
    statement (the event's hottest routes: reading it and answering it). The caller is
    `Access.user_id`; `request.user` is unset. A dependency rather than a guard because
    Litestar copies the handler for every guard call; dependencies resolve before the
    path parameters are checked, so 401 still comes before 400 and 404."""
    token = bearer_token(request)
    access = await find_access_by_token(path_id_or_zero(request, "event_id"), token)
    checked_path_id(request, "event_id")
    if access is None:
        raise NotFound("Event not found")
    return access


async def requires_event_organiser(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    access = await _access(connection)
    if access.role not in ADMIN_ROLES and access.created_by != connection.user.id:
        raise Forbidden("Only the proposer or the group's owners and admins can do this")


def provide_access(request: Request) -> Access:
    """The event and the caller's role, as found by the guard."""
    access: Access = request.state[ACCESS_STATE_KEY]
    return access
