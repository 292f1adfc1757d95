"""HTTP handlers for the pages behind links in mails, and for asking for a fresh
verification link. The pages need no login: the secret in the path is the key."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import Parameter

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.openapi import errors
from rendezvous.core.rate_limits import RATE_LIMIT, rate_limited
from rendezvous.mail import actions, pages

Secret = Annotated[str, Parameter(description="the secret from the mail's link")]

_PAGE = {EXCLUDE_FROM_AUTH: True}


def _pages(*codes: int) -> dict[int, ResponseSpec]:
    """Pages answer in HTML, errors too (but a rate limit's or the database's, in JSON)."""
    meaning = {
        404: "The link is unknown or expired (an HTML page)",
        409: "The action clashes with the event as it is now (an HTML page with the outcome)",
    }
    pages = {
        code: ResponseSpec(data_container=str, media_type=MediaType.HTML, description=meaning[code])
        for code in codes
    }
    return {**errors(), **pages}


def _html(page: actions.Page) -> Response[str]:
    return Response(
        pages.render(page.template, **page.context),
        status_code=page.status_code,
        media_type=MediaType.HTML,
        headers={
            "cache-control": "private, no-store",
            # The pages hold a secret link: no other site may frame them or learn it.
            "referrer-policy": "no-referrer",
            "x-frame-options": "DENY",
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "form-action 'self'; frame-ancestors 'none'",
        },
    )


class ActionPageController(Controller):
    """One-click links: GET shows what the button does (mail scanners open links, so a
    GET changes nothing); the button's POST does it."""

    path = "/a/{secret:str}"
    tags = ["mail"]
    security = [{}]
    include_in_schema = True

    @get(
        "/", operation_id="showAction", opt=_PAGE, media_type=MediaType.HTML, responses=_pages(404)
    )
    async def show(self, secret: Secret) -> Response[str]:
        """A page saying what the link's action will do, with its button (404 page for an
        unknown or expired link)."""
        return _html(await actions.describe(secret))

    @post(
        "/",
        operation_id="doAction",
        opt={**_PAGE, RATE_LIMIT: "writes"},
        guards=[rate_limited],
        media_type=MediaType.HTML,
        status_code=200,
        responses=_pages(404, 409),
    )
    async def act(self, secret: Secret, state: State) -> Response[str]:
        """Apply the link's action with the API's rules; a page with the outcome."""
        return _html(await actions.perform(secret, state.answering))


class VerificationPageController(Controller):
    path = "/email/verify/{secret:str}"
    tags = ["mail"]
    security = [{}]

    @get(
        "/",
        operation_id="showVerification",
        opt=_PAGE,
        media_type=MediaType.HTML,
        responses=_pages(404),
    )
    async def show(self, secret: Secret) -> Response[str]:
        """A page with a button confirming the address (404 page when unknown or expired)."""
        return _html(await actions.describe_verification(secret))

    @post(
        "/",
        operation_id="verifyEmail",
        opt={**_PAGE, RATE_LIMIT: "writes"},
        guards=[rate_limited],
        media_type=MediaType.HTML,
        status_code=200,
        responses=_pages(404),
    )
    async def verify(self, secret: Secret) -> Response[str]:
        """Verify the address; a page saying so."""
        return _html(await actions.verify(secret))


@post(
    "/me/email/verification",
    operation_id="resendVerification",
    tags=["users"],
    status_code=202,
    opt={RATE_LIMIT: "verification"},
    responses=errors(401, 409, 429),
)
async def resend_verification(request: AuthedRequest) -> None:
    """Send a fresh verification link to the caller's e-mail address (at most 5 an hour);
    409 when there is no address or it is verified already."""
    await actions.resend_verification(request.user.id)


ROUTES: list[type[Controller] | HTTPRouteHandler] = [
    ActionPageController,
    VerificationPageController,
    resend_verification,
]
