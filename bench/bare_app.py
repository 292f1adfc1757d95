"""The yardsticks: bare Litestar JSON endpoints, served by the same uvicorn with the same
workers as `rendezvous serve`, so that the benchmarks can report each endpoint beside what
the framework alone does on this (shared, noisy) machine in the same run.

- GET and PUT /bare: no auth and no database.
- GET /bare/query, only when BARE_DATABASE_URL names a database of the app's
  (sqlite:////abs/path.sqlite or postgresql://...): ONE indexed query per request, the
  bearer token's user by the token's SHA-256 (the lookup every authenticated request of
  the app makes), answered as {"id", "name"}; 401 for an unknown token. On SQLite one
  read-only connection runs it synchronously on the event loop, as the app reads SQLite;
  on PostgreSQL an asyncpg pool of 1 to 10 connections, as the app's default pool.
"""

import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, Request, Response, get, put
from litestar.handlers import HTTPRouteHandler

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]

QUERY = (
    'SELECT u.id, u.name FROM api_token t JOIN app_user u ON u.id = t."user" '
    "WHERE t.token_hash = {}"
)


@get("/bare")
async def bare_read() -> dict[str, Any]:
    return {"ok": True, "items": [1, 2, 3]}


@put("/bare")
async def bare_write(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "echo": data}


def token_hash(request: Request[Any, Any, Any]) -> str:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    return hashlib.sha256(token.encode()).hexdigest()


def answer(row: Any) -> Response[dict[str, Any]]:
    if row is None:
        return Response({"detail": "unknown token"}, status_code=401)
    return Response({"id": row[0], "name": row[1]})


def sqlite_query(path: str) -> HTTPRouteHandler:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA query_only = 1")
    sql = QUERY.format("?")

    @get("/bare/query")
    async def bare_query(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        # fetchall() runs the statement to its end, which ends the read transaction
        rows = connection.execute(sql, (token_hash(request),)).fetchall()
        return answer(rows[0] if rows else None)

    return bare_query


async def _no_reset(_: asyncpg.Connection) -> None:
    """asyncpg's default reset on release is a second round trip per request."""


def postgres_query(url: str) -> tuple[HTTPRouteHandler, Lifespan]:
    pool: asyncpg.Pool | None = None
    sql = QUERY.format("$1")

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        nonlocal pool
        pool = await asyncpg.create_pool(url, min_size=1, max_size=10, reset=_no_reset)
        try:
            yield
        finally:
            await pool.close()

    @get("/bare/query")
    async def bare_query(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
        assert pool is not None
        return answer(await pool.fetchrow(sql, token_hash(request)))

    return bare_query, lifespan


def create_app() -> Litestar:
    handlers = [bare_read, bare_write]
    lifespan: list[Lifespan] = []
    url = os.environ.get("BARE_DATABASE_URL")
    if url and url.startswith("sqlite:///"):
        handlers.append(sqlite_query(url.removeprefix("sqlite:///")))
    elif url:
        query, pool = postgres_query(url)
        handlers.append(query)
        lifespan.append(pool)
    return Litestar(handlers, lifespan=lifespan, openapi_config=None)
