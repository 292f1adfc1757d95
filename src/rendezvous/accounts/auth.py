"""The authentication entry point: every request with a bearer token passes `admit`.

Most routes reach it through the middleware (`authenticate`, one lookup of the token).
The hottest ones check the token in the same statement as what they read (their slice's
queries.py builds it with accounts.queries.with_caller) and hand that row to `admit`.
Either way the request then has `request.user` (a `Caller`: whose token it is, and which),
its use of the token is recorded, and it is counted against the rate limits: per account
once the token is known, per client address when it is not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar.connection import ASGIConnection

from rendezvous.accounts import queries
from rendezvous.accounts.schemas import Caller
from rendezvous.core.auth import bearer_token, unknown_token
from rendezvous.core.db.sql import Row
from rendezvous.core.db.transactions import transactional
from rendezvous.core.rate_limits import Limits
from rendezvous.core.tokens import hash_secret

# last_used_at is a hint, not an audit log: refreshing it at most this often keeps
# authenticated reads from turning into writes.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def token_hash(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The hash to look the request's token up by; None when it cannot be a token (401
    when there is none at all)."""
    token = bearer_token(connection)
    return hash_secret(token) if token is not None else None


async def authenticate(connection: ASGIConnection[Any, Any, Any, Any]) -> Caller:
    """For the middleware: look the token up, then `admit`."""
    hashed = token_hash(connection)
    return await admit(connection, await queries.caller_by_token(hashed) if hashed else None)


async def admit(connection: ASGIConnection[Any, Any, Any, Any], row: Row | None) -> Caller:
    """Let a request in as the caller its token's row names (`caller_*` columns), or
    refuse it: 401 when no token matched, 429 when its caller is over a rate limit."""
    limits: Limits = connection.app.state.limits
    if row is None or row["caller_token_id"] is None:
        await limits.count(connection, None)
        raise unknown_token()
    caller = Caller(id=row["caller_id"], token_id=row["caller_token_id"])
    connection.scope["user"] = caller
    connection.scope["auth"] = caller.token_id
    await limits.count(connection, caller.id)
    await _note_use(caller.token_id, row["caller_token_used_at"])
    return caller


async def _note_use(token_id: int, last_used_at: datetime | None) -> None:
    now = datetime.now(UTC)
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        await _record_use(token_id, now)


@transactional
async def _record_use(token_id: int, now: datetime) -> None:
    await queries.note_token_use(token_id, now)
