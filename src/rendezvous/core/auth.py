"""Bearer tokens at the HTTP boundary: reading the header, and the middleware that hands
each request to the authentication entry point (`accounts.auth.authenticate`).

Routes with `opt={EXCLUDE_FROM_AUTH: True}` skip the middleware: the public ones, and the
hottest ones, whose dependency checks the token in the same statement as what it reads
and then calls the same entry point (`accounts.auth.admit`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

EXCLUDE_FROM_AUTH = "exclude_from_auth"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rendezvous"'}
MAX_TOKEN_LENGTH = 200

# The caller (with its `token_id`) for a request, or an exception that refuses it.
Authenticate = Callable[[ASGIConnection[Any, Any, Any, Any]], Awaitable[Any]]


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The token from `Authorization: Bearer <token>`, or None when what was sent cannot
    be one (it needs no lookup to be refused); 401 when the request sends none."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(
            "Missing bearer token: send 'Authorization: Bearer <token>'", headers=BEARER_CHALLENGE
        )
    # Tokens are short ASCII; anything else cannot be one and needs no lookup.
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    return token


def unknown_token() -> NotAuthorizedException:
    return NotAuthorizedException("Invalid or revoked token", headers=BEARER_CHALLENGE)


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets request.user (the caller) and request.auth (their token's id) through
    `authenticate`."""

    def __init__(self, app: ASGIApp, authenticate: Authenticate, exclude: list[str]) -> None:
        super().__init__(app, exclude=exclude, exclude_from_auth_key=EXCLUDE_FROM_AUTH)
        self._authenticate = authenticate

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        caller = await self._authenticate(connection)
        return AuthenticationResult(user=caller, auth=caller.token_id)
