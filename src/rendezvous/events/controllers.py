"""HTTP handlers for events, votes and RSVPs."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, delete, get, patch, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, Parameter

from rendezvous.accounts.schemas import AuthedRequest
from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.geocoding import Geocoder, Travel
from rendezvous.core.openapi import errors
from rendezvous.core.pagination import DEFAULT_LIMIT, Limit, Offset
from rendezvous.core.schemas import Page
from rendezvous.events import options, rsvps, services
from rendezvous.events.deps import provide_access, provide_access_by_token
from rendezvous.events.guards import requires_event_member, requires_event_organiser
from rendezvous.events.schemas import (
    Confirm,
    Event,
    EventCreate,
    EventId,
    EventUpdate,
    MyVotes,
    PlaceOption,
    Rsvp,
    RsvpEntry,
    RsvpIn,
    Status,
    TimeOption,
    TimeOptionIn,
    VenueIn,
    Votes,
)
from rendezvous.events.services import Access
from rendezvous.groups.guards import requires_member
from rendezvous.groups.schemas import GroupId

# The hottest routes find the caller's access from the token, in the same statement.
BY_TOKEN = {"event_access": Provide(provide_access_by_token)}


class GroupEventController(Controller):
    path = "/groups/{group_id:int}/events"
    tags = ["events"]

    @post(
        "/",
        operation_id="createEvent",
        guards=[requires_member],
        responses=errors(400, 401, 404, 413),
    )
    async def create_event(
        self,
        request: AuthedRequest,
        group_id: GroupId,
        data: JSONBody[EventCreate],
        geocoder: NamedDependency[Geocoder],
    ) -> Event:
        """Propose a meetup with 1-20 time options; any member may propose."""
        return await services.create_event(group_id, request.user.id, data, geocoder)

    @get("/", operation_id="listEvents", guards=[requires_member], responses=errors(400, 401, 404))
    async def list_events(
        self,
        group_id: GroupId,
        status: Annotated[
            Status | None, Parameter(description="only events with this status")
        ] = None,
        order: Annotated[
            Literal["newest", "oldest"],
            Parameter(description="by creation; newest first by default"),
        ] = "newest",
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[Event]:
        """The group's events, newest first unless `order=oldest`."""
        return await services.list_events(group_id, status, order == "newest", limit, offset)


class EventController(Controller):
    path = "/events/{event_id:int}"
    tags = ["events"]
    dependencies = {"event_access": Provide(provide_access, sync_to_thread=False)}

    @get(
        "/",
        operation_id="getEvent",
        dependencies=BY_TOKEN,
        opt={EXCLUDE_FROM_AUTH: True},
        responses=errors(400, 401, 404),
    )
    async def get_event(
        self, event_id: EventId, event_access: NamedDependency[Access], state: State
    ) -> Event:
        """An event with its time options, vote counts and RSVP counts."""
        # The caches from `state`, not as a second dependency: Litestar resolves two or
        # more in a task group, which costs more than this whole read when cached.
        return await services.get_event(event_access, state.caches)

    @patch(
        "/",
        operation_id="updateEvent",
        guards=[requires_event_organiser],
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def update_event(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        data: JSONBody[EventUpdate],
        geocoder: NamedDependency[Geocoder],
    ) -> Event:
        """Change title, description, venue or capacity (the proposer, owners and admins).
        A changed title, description or venue raises `sequence`; capacity does not."""
        return await services.update_event(event_access, data, geocoder)

    @get(
        "/votes",
        operation_id="getMyVotes",
        guards=[requires_event_member],
        responses=errors(400, 401, 404),
    )
    async def get_votes(self, request: AuthedRequest, event_id: EventId) -> MyVotes:
        """The caller's own votes on this event's time and place options."""
        return await services.my_votes(event_id, request.user.id)

    @put(
        "/votes",
        operation_id="putVotes",
        guards=[requires_event_member],
        responses=errors(400, 401, 404, 409, 413),
    )
    async def put_votes(
        self, request: AuthedRequest, event_id: EventId, data: JSONBody[Votes]
    ) -> MyVotes:
        """Replace the caller's votes, yes, maybe or no per option id: `votes` (time
        options) and `place_votes`, each only when sent. Only while proposed."""
        return await services.put_votes(event_id, request.user.id, data)

    @post(
        "/confirm",
        operation_id="confirmEvent",
        guards=[requires_event_organiser],
        status_code=200,
        responses=errors(400, 401, 403, 404, 409, 413),
    )
    async def confirm(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        geocoder: NamedDependency[Geocoder],
        travel: NamedDependency[Travel],
        data: JSONBody[Confirm | None] = None,
    ) -> Event:
        """Confirm an option (the proposer, owners and admins); without `option_id`, the one
        with the most yes, then maybe, then the earliest. The venue is `venue`, or the
        place option `place_option_id`, or else the located place option with the most
        yes, then maybe, then the least travel for the option's yes voters, then the
        earliest added."""
        return await services.confirm(event_access, data or Confirm(), geocoder, travel)

    @post(
        "/time-options",
        operation_id="addTimeOption",
        guards=[requires_event_member],
        responses=errors(400, 401, 404, 409, 413),
    )
    async def add_time_option(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        data: JSONBody[TimeOptionIn],
    ) -> TimeOption:
        """Add a time option to a proposal (any member; 20 at most, no duplicates)."""
        return await options.add_time_option(event_access, data)

    @post(
        "/place-options",
        operation_id="addPlaceOption",
        guards=[requires_event_member],
        responses=errors(400, 401, 404, 409, 413),
    )
    async def add_place_option(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        geocoder: NamedDependency[Geocoder],
        data: JSONBody[VenueIn],
    ) -> PlaceOption:
        """Add a place option to a proposal (any member; 20 at most, no duplicates), located
        as a venue is."""
        return await options.add_place_option(event_access, data, geocoder)

    @post(
        "/cancel",
        operation_id="cancelEvent",
        guards=[requires_event_organiser],
        status_code=200,
        responses=errors(400, 401, 403, 404, 409),
    )
    async def cancel(self, event_id: EventId, event_access: NamedDependency[Access]) -> Event:
        """Cancel the event (the proposer, owners and admins)."""
        return await services.cancel(event_access)

    @put(
        "/rsvp",
        operation_id="putRsvp",
        dependencies=BY_TOKEN,
        opt={EXCLUDE_FROM_AUTH: True},
        responses=errors(400, 401, 404, 409, 413),
    )
    async def put_rsvp(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        data: JSONBody[RsvpIn],
        state: State,
    ) -> Rsvp:
        """Answer yes, maybe or no, with 0-10 guests. A yes that does not fit is waitlisted."""
        return await rsvps.put_rsvp(event_id, event_access.user_id, data, state.answering)

    @delete(
        "/rsvp",
        operation_id="deleteRsvp",
        dependencies=BY_TOKEN,
        opt={EXCLUDE_FROM_AUTH: True},
        responses=errors(400, 401, 404, 409),
    )
    async def delete_rsvp(
        self, event_id: EventId, event_access: NamedDependency[Access], state: State
    ) -> None:
        """Withdraw the caller's answer; any seat it held passes to the waitlist."""
        await rsvps.delete_rsvp(event_id, event_access.user_id, state.answering)

    @get(
        "/rsvps",
        operation_id="listRsvps",
        guards=[requires_event_member],
        responses=errors(400, 401, 404),
    )
    async def list_rsvps(
        self, event_id: EventId, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
    ) -> Page[RsvpEntry]:
        """Everyone's answers: seated first, then the waitlist in order, then maybe and no."""
        return await rsvps.list_rsvps(event_id, limit, offset)
