"""HTTP handlers for invites, replies and feeds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader, State
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import Parameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.accounts.server_key import ServerKey
from rendezvous.calendars import services
from rendezvous.calendars.schemas import FeedLinks
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.openapi import errors
from rendezvous.events.guards import requires_event_member
from rendezvous.events.schemas import EventId, Rsvp

CALENDAR = "text/calendar"
_ICS = Schema(type=OpenAPIType.STRING, description="an iCalendar object (RFC 5545)")


def _calendar_response(description: str) -> dict[int, ResponseSpec]:
    return {
        200: ResponseSpec(
            data_container=str,
            media_type=CALENDAR,
            description=description,
            generate_examples=False,
        )
    }


@dataclass
class _ReplyOperation(Operation):
    """Documents the reply's body, which Litestar cannot infer: it is read raw."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={CALENDAR: OpenAPIMediaType(schema=_ICS)},
            required=True,
            description="An iTIP METHOD:REPLY from the caller's calendar app (RFC 5546).",
        )


class CalendarController(Controller):
    path = "/events/{event_id:int}"
    tags = ["calendar"]

    @get(
        "/invite.ics",
        operation_id="getInvite",
        guards=[requires_event_member],
        media_type=CALENDAR,
        responses={**_calendar_response("The invite"), **errors(400, 401, 404, 409)},
    )
    async def invite(self, request: AuthedRequest, event_id: EventId) -> Response[bytes]:
        """The caller's invite (METHOD:REQUEST, or CANCEL once cancelled) to import into a
        calendar app; 409 while the event is still a proposal."""
        ics_file = await services.invite(event_id, request.user.id)
        return Response(
            ics_file.content,
            headers={
                "content-type": f"{CALENDAR}; charset=utf-8; method={ics_file.method}",
                "content-disposition": f'attachment; filename="{ics_file.filename}"',
                "cache-control": "private, no-store",
            },
        )

    @post(
        "/reply",
        operation_id="replyToInvite",
        guards=[requires_event_member],
        status_code=200,
        operation_class=_ReplyOperation,
        responses=errors(400, 401, 403, 404, 409, 413, 415, 422),
    )
    async def reply(self, request: AuthedRequest, event_id: EventId, state: State) -> Rsvp:
        """Answer with the reply a calendar app sends (`text/calendar`, METHOD:REPLY): the
        caller's PARTSTAT becomes their RSVP (ACCEPTED yes, TENTATIVE maybe, DECLINED no)."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != CALENDAR:
            raise ClientException(
                f"Send the reply as {CALENDAR}, not {media_type or 'no content type'}",
                status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            )
        return await services.reply(event_id, request.user, await request.body(), state.answering)


class FeedLinkController(Controller):
    path = "/me/feed"
    tags = ["calendar"]

    @get("/", operation_id="getFeedLinks", responses=errors(401))
    async def links(
        self, request: AuthedRequest, server_key: NamedDependency[ServerKey]
    ) -> FeedLinks:
        """The caller's private feed address, to subscribe to in a calendar app. Anyone
        who has it can read the feed: rotate it if it leaks."""
        return await services.feed_links(request.user.id, server_key)

    @post("/rotate", operation_id="rotateFeed", status_code=200, responses=errors(401))
    async def rotate(
        self, request: AuthedRequest, server_key: NamedDependency[ServerKey]
    ) -> FeedLinks:
        """Replace the feed's secret: the old address answers 404 at once."""
        return await services.rotate_feed(request.user.id, server_key)


class FeedController(Controller):
    path = "/feeds"
    tags = ["calendar"]

    @get(
        "/{feed_file:str}",
        operation_id="getFeed",
        opt={EXCLUDE_FROM_AUTH: True},
        security=[{}],  # the secret in the path is the credential
        media_type=CALENDAR,
        response_headers=[
            ResponseHeader(
                name="ETag", description="changes whenever the feed does", documentation_only=True
            ),
            ResponseHeader(
                name="Last-Modified",
                description="when the feed last changed",
                documentation_only=True,
            ),
        ],
        responses={
            **_calendar_response("The feed"),
            304: ResponseSpec(data_container=None, description="Not modified since your copy"),
            **errors(404),
        },
    )
    async def feed(
        self,
        request: Request,
        feed_file: Annotated[
            str, Parameter(description="`<secret>.ics`, from GET /me/feed", max_length=200)
        ],
        state: State,
    ) -> Response[bytes]:
        """A member's meetups (confirmed, and cancelled in the last 30 days) from 90 days
        ago to two years ahead, for calendar apps to subscribe to; no bearer token."""
        token = feed_file.removesuffix(".ics") if feed_file.endswith(".ics") else ""
        result = await services.feed(
            token,
            request.headers.get("if-none-match"),
            request.headers.get("if-modified-since"),
            state.caches,
        )
        headers = {
            "etag": result.etag,
            "last-modified": result.last_modified,
            "cache-control": "private, no-cache",
        }
        if result.content is None:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        headers["content-type"] = f"{CALENDAR}; charset=utf-8"
        headers["content-disposition"] = 'inline; filename="rendezvous.ics"'
        return Response(result.content, headers=headers)
