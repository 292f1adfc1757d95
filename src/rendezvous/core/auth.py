"""Bearer-token authentication middleware; what a token means is for the caller to say."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

# Handlers with opt={EXCLUDE_FROM_AUTH: True} skip the middleware: public ones, and the
# hottest routes, whose dependency resolves the token in the same statement as the
# resource.
EXCLUDE_FROM_AUTH = "exclude_from_auth"
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rendezvous"'}

Authenticate = Callable[[str], Awaitable[Any | None]]


def bearer_token(connection: ASGIConnection) -> str:
    """The token from `Authorization: Bearer <token>`; 401 when the request has nothing
    that could be one."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException(
            "Missing bearer token: send 'Authorization: Bearer <token>'", headers=BEARER_CHALLENGE
        )
    # Tokens are short ASCII; anything else cannot be one and needs no lookup.
    if len(token) > 200 or not token.isascii():
        raise unknown_token()
    return token


def unknown_token() -> NotAuthorizedException:
    return NotAuthorizedException("Invalid or revoked token", headers=BEARER_CHALLENGE)


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets request.user (and request.auth) from `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, authenticate: Authenticate, exclude: list[str]) -> None:
        super().__init__(app, exclude=exclude, exclude_from_auth_key=EXCLUDE_FROM_AUTH)
        self._authenticate = authenticate

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        result = await self._authenticate(bearer_token(connection))
        if result is None:
            raise unknown_token()
        return AuthenticationResult(user=result.user, auth=result)
