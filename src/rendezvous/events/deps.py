"""The events slice's per-worker resources and dependency providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request

from rendezvous.accounts.auth import admit, token_hash
from rendezvous.core.errors import NotFound
from rendezvous.core.locks import KeyedLock
from rendezvous.core.schemas import checked_path_id, path_id_or_zero
from rendezvous.events import queries
from rendezvous.events.guards import ACCESS_STATE_KEY
from rendezvous.events.services import Access, access_from
from rendezvous.settings import get_settings


@asynccontextmanager
async def answer_queues(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: the worker's queues of answers, one per event (events.rsvps.put_rsvp), as
    `app.state.answering`. At most half the pool's connections answer at once, let in by
    order of arrival, which leaves the rest to reads; without that door the slowest 1 % of
    answers waited several times the median (bench/rsvp.py)."""
    app.state.answering = KeyedLock(admit=get_settings().db_pool_size // 2)
    yield


def provide_access(request: Request) -> Access:
    """The event and the caller's role, as found by the event guard."""
    access: Access = request.state[ACCESS_STATE_KEY]
    return access


async def provide_access_by_token(request: Request) -> Access:
    """Authentication and `requires_event_member` in one dependency, for the event's
    hottest routes (reading it, answering it), which skip the middleware: the token, the
    membership and the event are one statement (events.queries.event_for_token). A
    dependency rather than a guard: Litestar copies the handler for every guard call,
    which cost as much as a cached read. Dependencies resolve before the path parameters
    are checked, so 401 still comes before 400 and 404."""
    return await _access_by_token(request, with_group=False)


async def provide_access_and_group_by_token(request: Request) -> Access:
    """As provide_access_by_token, the row also holding the group's `group_created_at`
    and `group_revision`."""
    return await _access_by_token(request, with_group=True)


async def _access_by_token(request: Request, with_group: bool) -> Access:
    hashed = token_hash(request)
    event_id = path_id_or_zero(request, "event_id")
    row = await queries.event_for_token(event_id, hashed, with_group) if hashed else None
    await admit(request, row)
    checked_path_id(request, "event_id")
    access = access_from(row) if row is not None else None
    if access is None:
        raise NotFound("Event not found")
    return access
