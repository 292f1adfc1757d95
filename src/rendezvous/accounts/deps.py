"""The accounts slice's per-worker resources and their providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State

from rendezvous.accounts.server_key import ServerKey
from rendezvous.settings import get_settings


@asynccontextmanager
async def server_key(app: Litestar) -> AsyncIterator[None]:
    """Lifespan: the installation's key, once per worker."""
    app.state.server_key = ServerKey(get_settings().secret_key)
    yield


def provide_server_key(state: State) -> ServerKey:
    key: ServerKey = state.server_key
    return key
