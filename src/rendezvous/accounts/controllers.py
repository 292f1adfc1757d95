"""HTTP handlers for sign-up, the caller's profile and API tokens."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from rendezvous.accounts import services
from rendezvous.accounts.schemas import (
    AuthedRequest,
    NewToken,
    SignUp,
    Token,
    TokenCreate,
    User,
    UserCreate,
    UserUpdate,
)
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.schemas import MAX_ID, Page
from rendezvous.geo.geocoder import CachedGeocoder

TokenId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the token's id")]


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post(
        "/",
        operation_id="createUser",
        opt={EXCLUDE_FROM_AUTH: True},
        security=[{}],  # public: an empty requirement overrides the global bearer one
        responses=errors(400, 413, 422),
    )
    async def create_user(
        self, data: JSONBody[UserCreate], geocoder: NamedDependency[CachedGeocoder]
    ) -> SignUp:
        """Sign up; the response holds the account's first token, shown only this once.
        A region is geocoded (422 if no place matches it)."""
        return await services.create_user(data, geocoder)


class MeController(Controller):
    path = "/me"
    tags = ["users"]

    @get("/", operation_id="getMe", responses=errors(401))
    async def get_me(self, request: AuthedRequest) -> User:
        """The caller's own account."""
        return request.user

    @patch("/", operation_id="updateMe", responses=errors(400, 401, 413, 422))
    async def update_me(
        self,
        request: AuthedRequest,
        data: JSONBody[UserUpdate],
        geocoder: NamedDependency[CachedGeocoder],
    ) -> User:
        """Change name, e-mail, region or time zone; null clears an optional field. A new
        region is geocoded (422 if no place matches it, and nothing changes); it brings
        its time zone unless `timezone` is sent too."""
        return await services.update_user(request.user.id, data, geocoder)

    @post("/tokens", operation_id="createToken", responses=errors(400, 401, 409, 413))
    async def create_token(
        self, request: AuthedRequest, data: JSONBody[TokenCreate | None] = None
    ) -> NewToken:
        """Issue another API token (at most 50 per account); it is shown only this once."""
        return await services.create_token(request.user.id, (data or TokenCreate()).name)

    @get("/tokens", operation_id="listTokens", responses=errors(400, 401))
    async def list_tokens(
        self,
        request: AuthedRequest,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[Token]:
        """The caller's tokens, oldest first (never the secrets themselves)."""
        return await services.list_tokens(request.user.id, limit, offset)

    @delete("/tokens/{token_id:int}", operation_id="revokeToken", responses=errors(400, 401, 404))
    async def revoke_token(self, request: AuthedRequest, token_id: TokenId) -> None:
        """Revoke a token at once; requests that use it get 401 from now on."""
        await services.revoke_token(request.user.id, token_id)
