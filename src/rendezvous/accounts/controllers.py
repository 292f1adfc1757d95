"""HTTP handlers for sign-up, the caller's account and API tokens. (PATCH /me, which
reaches the caller's groups too, is in rendezvous.flows.)"""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from rendezvous.accounts import services
from rendezvous.accounts.deps import caller_account
from rendezvous.accounts.schemas import (
    AuthedRequest,
    NewToken,
    SignUp,
    Token,
    TokenCreate,
    TokenId,
    User,
    UserCreate,
)
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.geocoding import Geocoder
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.rate_limits import RATE_LIMIT, rate_limited
from rendezvous.core.schemas import Page


class UserController(Controller):
    path = "/users"
    tags = ["users"]

    @post(
        "/",
        operation_id="createUser",
        guards=[rate_limited],
        opt={EXCLUDE_FROM_AUTH: True, RATE_LIMIT: "signups"},
        security=[{}],  # public: an empty requirement overrides the global bearer one
        responses=errors(400, 413, 422),
    )
    async def create_user(
        self, data: JSONBody[UserCreate], geocoder: NamedDependency[Geocoder]
    ) -> SignUp:
        """Sign up; the response holds the account's first token, shown only this once.
        A region is geocoded (422 if no place matches it). Sign-ups are limited per
        client address (RENDEZVOUS_RATE_LIMIT_SIGNUPS an hour)."""
        return await services.create_user(data, geocoder)


class MeController(Controller):
    path = "/me"
    tags = ["users"]

    @get("/", operation_id="getMe", opt={EXCLUDE_FROM_AUTH: True}, responses=errors(401))
    async def get_me(self, request: Request) -> User:
        """The caller's own account."""
        return await caller_account(request)

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
