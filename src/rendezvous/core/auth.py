"""Bearer-token authentication middleware; what a token means is for the caller to say."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

# Handlers with opt={EXCLUDE_FROM_AUTH: True} are public.
EXCLUDE_FROM_AUTH = "exclude_from_auth"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="rendezvous"'}

Authenticate = Callable[[str], Awaitable[Any | None]]


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets request.user (and request.auth) from `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, authenticate: Authenticate, exclude: list[str]) -> None:
        super().__init__(app, exclude=exclude, exclude_from_auth_key=EXCLUDE_FROM_AUTH)
        self._authenticate = authenticate

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise NotAuthorizedException(
                "Missing bearer token: send 'Authorization: Bearer <token>'", headers=_CHALLENGE
            )
        # Tokens are short ASCII; anything else cannot be one and needs no lookup.
        if len(token) > 200 or not token.isascii():
            raise NotAuthorizedException("Invalid or revoked token", headers=_CHALLENGE)
        result = await self._authenticate(token)
        if result is None:
            raise NotAuthorizedException("Invalid or revoked token", headers=_CHALLENGE)
        return AuthenticationResult(user=result.user, auth=result)
