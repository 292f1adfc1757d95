"""Written-out statements: the SQL a slice's queries.py keeps where Piccolo's query
builder cost more than the database took to answer (each one says which benchmark shows
it). They run through Piccolo's engine, in the current transaction when there is one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.querystring import QueryString

from rendezvous.core.db.engines import get_engine

# A row by column name: a dict on SQLite, an asyncpg Record (which reads the same) on
# PostgreSQL.
Row = Mapping[str, Any]


async def fetch(sql: str, *args: Any) -> list[Row]:
    """The rows of one statement, with `{}` for each of `args` (Piccolo's placeholders)."""
    rows: list[Row] = await get_engine().run_querystring(QueryString(sql, *args))
    return rows


def placeholders(count: int) -> str:
    """`{}, {}, ...` for an IN list of `count` values."""
    return ", ".join(["{}"] * count)
