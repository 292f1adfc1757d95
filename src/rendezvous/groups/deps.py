"""The groups slice's dependency providers."""

from __future__ import annotations

from litestar import Request

from rendezvous.accounts.auth import admit, token_hash
from rendezvous.core.errors import NotFound
from rendezvous.core.freshness import WorkerCaches
from rendezvous.core.schemas import checked_path_id, path_id_or_zero
from rendezvous.groups import queries, services
from rendezvous.groups.guards import ROLE_STATE_KEY
from rendezvous.groups.schemas import Group, Role


def provide_caller_role(request: Request) -> Role:
    """The caller's role, as found by the group guard."""
    role: Role = request.state[ROLE_STATE_KEY]
    return role


async def provide_group_by_token(request: Request) -> Group:
    """Authentication, `requires_member` and the group with its members, for GET
    /groups/{id}, which skips the middleware: the token, the membership and the group
    are one statement (groups.queries.group_for_token), and the members come from the
    worker's cache. A dependency rather than a guard: Litestar copies the handler for
    every guard call, which cost as much as the cached read. Dependencies resolve
    before the path parameters are checked, so 401 still comes before 400 and 404."""
    hashed = token_hash(request)
    row = (
        await queries.group_for_token(path_id_or_zero(request, "group_id"), hashed)
        if hashed
        else None
    )
    await admit(request, row)
    checked_path_id(request, "group_id")
    if row is None or row["caller_role"] is None:
        raise NotFound("Group not found")
    caches: WorkerCaches = request.app.state.caches
    return await services.group_as_seen(row, caches)
