"""Written-out statements: the SQL a slice's queries.py keeps where Piccolo's query
builder cost more than the database took to answer (each one says which benchmark shows
it). They run through Piccolo's engine, in the current transaction when there is one."""

from __future__ import annotations

from typing import Any

from rendezvous.core.db.engines import Row, get_engine


async def fetch(sql: str, *args: Any) -> list[Row]:
    """The rows of one statement, with `{}` for each of `args` (Piccolo's placeholders)."""
    return await get_engine().fetch(sql, args)


async def fetch_one(sql: str, *args: Any) -> Row | None:
    """The first row of one statement, or None when it has none."""
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


def placeholders(count: int) -> str:
    """`{}, {}, ...` for an IN list of `count` values."""
    return ", ".join(["{}"] * count)
