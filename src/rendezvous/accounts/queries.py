"""The accounts slice's SQL: people, their API tokens and the installation's keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rendezvous.accounts.tables import ApiToken, ServerSecret, User
from rendezvous.core.db.sql import Row, fetch_one
from rendezvous.core.pagination import fetch_page
from rendezvous.core.schemas import Page

USER_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.email_verified,
    User.email_notifications,
    User.region,
    User.region_label,
    User.timezone,
    User.created_at,
)

# Which token matched and whose it is: all authentication needs (accounts.auth).
_CALLER_COLUMNS = (
    't.id AS caller_token_id, t.last_used_at AS caller_token_used_at, t."user" AS caller_id'
)


def with_caller(columns: str = "", joins: str = "") -> str:
    """A statement that checks a bearer token (its hash: the last `{}`) beside what it
    reads: the token (`t`) as the `caller_*` columns accounts.auth reads, then `columns`
    from the tables `joins` brings in. The hottest routes' reads are built on it, so that
    the token is matched the same way everywhere."""
    selected = f"{_CALLER_COLUMNS}, {columns}" if columns else _CALLER_COLUMNS
    return (
        f"SELECT {selected} "  # noqa: S608 - fixed text
        f"FROM api_token t {joins} WHERE t.token_hash = {{}}"
    )


# Written out: it runs on every authenticated request the middleware sees, and Piccolo takes
# many times longer to build it than the database takes to answer it
# (bench/query_building.py).
_CALLER = with_caller()


async def caller_by_token(token_hash: str) -> Row | None:
    return await fetch_one(_CALLER, token_hash)


# Written out, one statement for GET /me (bench/reads.py): the token and its owner.
_ME = with_caller(
    ", ".join(f"u.{column._meta.db_column_name}" for column in USER_COLUMNS),
    'JOIN app_user u ON u.id = t."user"',
)


async def me_by_token(token_hash: str) -> Row | None:
    return await fetch_one(_ME, token_hash)


async def note_token_use(token_id: int, now: datetime) -> None:
    await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == token_id)


# --- people ----------------------------------------------------------------------------


async def insert_user(values: dict[str, Any]) -> dict[str, Any]:
    """The new user's row (USER_COLUMNS)."""
    rows = await User.insert(User(**values)).returning(*USER_COLUMNS)
    return rows[0]


async def update_user(user_id: int, changes: dict[Any, Any]) -> dict[str, Any] | None:
    """The user's row (USER_COLUMNS) after the changes; None if there is no such user."""
    query = User.update(changes) if changes else User.update({User.id: User.id})
    rows = await query.where(User.id == user_id).returning(*USER_COLUMNS)
    return rows[0] if rows else None


async def person(user_id: int) -> dict[str, Any] | None:
    """A user's id, name, e-mail (and whether it is verified) and time zone."""
    return (
        await User.select(User.id, User.name, User.email, User.email_verified, User.timezone)
        .where(User.id == user_id)
        .first()
    )


async def mark_email_verified(user_id: int) -> None:
    await User.update({User.email_verified: True}).where(User.id == user_id)


# --- API tokens ------------------------------------------------------------------------


async def insert_token(user_id: int, name: str, token_hash: str, now: datetime) -> int:
    rows = await ApiToken.insert(
        ApiToken(user=user_id, name=name, token_hash=token_hash, created_at=now)
    ).returning(ApiToken.id)
    token_id: int = rows[0]["id"]
    return token_id


async def count_tokens(user_id: int) -> int:
    return await ApiToken.count().where(ApiToken.user == user_id)


async def token_page(user_id: int, limit: int, offset: int, item: Any) -> Page[Any]:
    query = ApiToken.select(
        ApiToken.id, ApiToken.name, ApiToken.created_at, ApiToken.last_used_at
    ).order_by(ApiToken.id)
    return await fetch_page(query, ApiToken.user == user_id, limit, offset, item)


async def delete_token(user_id: int, token_id: int) -> bool:
    where = (ApiToken.id == token_id) & (ApiToken.user == user_id)
    return bool(await ApiToken.delete().where(where).returning(ApiToken.id))


# --- the installation's keys -----------------------------------------------------------


async def server_secret(name: str, fresh_value: str) -> str:
    """The installation's secret called `name`, made from `fresh_value` the first time
    (whichever process gets there first wins; the others read its value)."""
    await ServerSecret.insert(ServerSecret(name=name, value=fresh_value)).on_conflict(
        target=ServerSecret.name, action="DO NOTHING"
    )
    row = await ServerSecret.select(ServerSecret.value).where(ServerSecret.name == name).first()
    assert row is not None
    return str(row["value"])
