"""HTTP handlers for geocoding previews, venue suggestions and joint polls' plans."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

from rendezvous.core.auth import EXCLUDE_FROM_AUTH
from rendezvous.core.geocoding import Geocoder
from rendezvous.core.openapi import errors
from rendezvous.core.rate_limits import RATE_LIMIT
from rendezvous.events.deps import provide_access_and_group_by_token
from rendezvous.events.guards import requires_event_member
from rendezvous.events.schemas import EventId
from rendezvous.events.services import Access
from rendezvous.geo import planning, suggestions
from rendezvous.geo.geocoder import MAX_RESULTS
from rendezvous.geo.schemas import GeocodeResults, Plan, Strategy, Suggestions
from rendezvous.geo.suggestions import MeetingPlaces
from rendezvous.groups.guards import requires_member
from rendezvous.groups.schemas import GroupId

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
# Answers come already encoded (each worker keeps them), so the schema is named here.
SUGGESTIONS = {
    200: ResponseSpec(
        data_container=Suggestions,
        description="Real places, best first, with each located participant's distance",
        generate_examples=False,
    )
}


PLAN = {
    200: ResponseSpec(
        data_container=Plan,
        description="Per time option, its participants' centre and the places ranked",
        generate_examples=False,
    )
}


def _json(content: bytes) -> Response[bytes]:
    return Response(content, media_type=MediaType.JSON)


class GeocodeController(Controller):
    path = "/geocode"
    tags = ["geocoding"]

    @get(
        "/",
        operation_id="geocode",
        opt={RATE_LIMIT: "geocoding"},
        responses=errors(400, 401, 422),
    )
    async def geocode(
        self,
        geocoder: NamedDependency[Geocoder],
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

    @get(
        "/events/{event_id:int}/venue-suggestions",
        operation_id="suggestEventVenues",
        guards=[requires_event_member],
        responses={**SUGGESTIONS, **errors(400, 401, 404)},
    )
    async def for_event(
        self,
        event_id: EventId,
        meeting_places: NamedDependency[MeetingPlaces],
        state: State,
        strategy: StrategyParam = "total",
        limit: SuggestionLimit = 5,
    ) -> Response[bytes]:
        """Real places for the members who said yes or maybe (everyone, until someone has)."""
        return _json(
            await suggestions.suggest_for_event(
                event_id, strategy, limit, meeting_places, state.caches
            )
        )

    @get(
        "/events/{event_id:int}/plan",
        operation_id="planEvent",
        # The token, the membership, the event and its group in one statement: a cached
        # plan is then one query (bench/plan.py).
        dependencies={"event_access": Provide(provide_access_and_group_by_token)},
        opt={EXCLUDE_FROM_AUTH: True},
        responses={**PLAN, **errors(400, 401, 404)},
    )
    async def plan(
        self,
        event_id: EventId,
        event_access: NamedDependency[Access],
        state: State,
        strategy: StrategyParam = "total",
    ) -> Response[bytes]:
        """A joint poll's plan: for every time option, its located yes voters, their
        centre (withheld below 3 people) and the place options ranked for them."""
        return _json(await planning.plan_for_event(event_access.row, strategy, state.caches))

    @get(
        "/groups/{group_id:int}/venue-suggestions",
        operation_id="suggestGroupVenues",
        guards=[requires_member],
        responses={**SUGGESTIONS, **errors(400, 401, 404)},
    )
    async def for_group(
        self,
        group_id: GroupId,
        meeting_places: NamedDependency[MeetingPlaces],
        state: State,
        strategy: StrategyParam = "total",
        limit: SuggestionLimit = 5,
    ) -> Response[bytes]:
        """Real places for all the group's members."""
        return _json(
            await suggestions.suggest_for_group(
                group_id, strategy, limit, meeting_places, state.caches
            )
        )
