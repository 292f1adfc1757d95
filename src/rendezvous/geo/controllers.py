"""HTTP handlers for geocoding previews and venue suggestions."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from rendezvous.core.openapi import errors
from rendezvous.events.controllers import EventId
from rendezvous.events.guards import provide_access, requires_event_member
from rendezvous.events.services import Access
from rendezvous.geo import services
from rendezvous.geo.geocoder import MAX_RESULTS, CachedGeocoder
from rendezvous.geo.schemas import GeocodeResults, Strategy, Suggestions
from rendezvous.geo.services import MeetingPlaces
from rendezvous.groups.controllers import GroupId
from rendezvous.groups.guards import requires_member

Query = Annotated[
    str,
    Parameter(
        min_length=1,
        max_length=200,
        pattern=r"\S",
        description="a place: a town, 'Town, Country', 'Town, ST', a region, a country, a postcode",
    ),
]
StrategyParam = Annotated[
    Strategy,
    Parameter(
        description=(
            "`total`: least travel in all (the geometric median); "
            "`fair`: the shortest longest journey"
        )
    ),
]
SuggestionLimit = Annotated[int, Parameter(ge=1, le=20, description="how many places, 1-20")]


class GeocodeController(Controller):
    path = "/geocode"
    tags = ["geocoding"]

    @get("/", operation_id="geocode", responses=errors(400, 401, 422))
    async def geocode(
        self,
        geocoder: NamedDependency[CachedGeocoder],
        q: Query,
        limit: Annotated[
            int, Parameter(ge=1, le=MAX_RESULTS, description=f"1-{MAX_RESULTS} results")
        ] = 5,
    ) -> GeocodeResults:
        """Preview what a region resolves to, best match first; no results is not an error."""
        return GeocodeResults(results=await geocoder.search(q, limit))


class VenueSuggestionController(Controller):
    path = "/"
    tags = ["venues"]
    dependencies = {"event_access": Provide(provide_access, sync_to_thread=False)}

    @get(
        "/events/{event_id:int}/venue-suggestions",
        operation_id="suggestEventVenues",
        guards=[requires_event_member],
        responses=errors(400, 401, 404),
    )
    async def for_event(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        meeting_places: NamedDependency[MeetingPlaces],
        strategy: StrategyParam = "total",
        limit: SuggestionLimit = 5,
    ) -> Suggestions:
        """Real places for the members who said yes or maybe (everyone, until someone has)."""
        return await services.suggest_for_event(
            event_id, event_access.group_id, strategy, limit, meeting_places
        )

    @get(
        "/groups/{group_id:int}/venue-suggestions",
        operation_id="suggestGroupVenues",
        guards=[requires_member],
        responses=errors(400, 401, 404),
    )
    async def for_group(
        self,
        group_id: GroupId,
        meeting_places: NamedDependency[MeetingPlaces],
        strategy: StrategyParam = "total",
        limit: SuggestionLimit = 5,
    ) -> Suggestions:
        """Real places for all the group's members."""
        return await services.suggest_for_group(group_id, strategy, limit, meeting_places)
