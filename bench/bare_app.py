"""The yardstick: a bare Litestar JSON endpoint with no auth and no database.

Served by the same uvicorn, with the same workers, as `rendezvous serve`, so that the
benchmarks can report each endpoint as a fraction of what the framework alone does on
this (shared, noisy) machine in the same run.
"""

from typing import Any

from litestar import Litestar, get, put


@get("/bare")
async def bare_read() -> dict[str, Any]:
    return {"ok": True, "items": [1, 2, 3]}


@put("/bare")
async def bare_write(data: dict[str, Any]) -> dict[str, Any]:
    return {"ok": True, "echo": data}


def create_app() -> Litestar:
    return Litestar([bare_read, bare_write], openapi_config=None)
