"""The accounts slice's per-worker resources and their providers, and GET /me's one-statement
authentication."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Request
from litestar.datastructures import State

from rendezvous.accounts import queries
from rendezvous.accounts.auth import admit, token_hash
from rendezvous.accounts.schemas import User
from rendezvous.accounts.server_key import ServerKey
from rendezvous.accounts.services import user_from_row
from rendezvous.settings import get_settings


@asynccontextmanager
async def server_key(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: the installation's key, once per worker."""
    app.state.server_key = ServerKey(get_settings().secret_key)
    yield


def provide_server_key(state: State) -> ServerKey:
    key: ServerKey = state.server_key
    return key


async def caller_account(request: Request) -> User:
    """Authentication and the caller's account in one statement, for GET /me, which skips
    the middleware (as GET /groups/{id} does: see groups.deps). Called by the handler
    itself: resolving it as a dependency cost a tenth of the request
    (bench/instructions.py)."""
    hashed = token_hash(request)
    row = await queries.me_by_token(hashed) if hashed else None
    await admit(request, row)  # 401 unless a token matched
    assert row is not None
    return user_from_row(row)
