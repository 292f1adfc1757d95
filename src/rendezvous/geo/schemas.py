"""Request and response bodies for geocoding previews and venue suggestions."""

from __future__ import annotations

from typing import Literal

from rendezvous.core.geocoding import GeocodeResult
from rendezvous.core.schemas import ResponseBody

Strategy = Literal["total", "fair"]


class GeocodeResults(ResponseBody):
    results: list[GeocodeResult]


class Point(ResponseBody):
    latitude: float
    longitude: float


# Thousands per response: kept out of the GC, and built positionally (map(Distance, ...)).
class Distance(ResponseBody, gc=False, kw_only=False):
    user_id: int
    km: float


class Suggestion(ResponseBody):
    name: str
    label: str
    kind: Literal["town", "venue"]  # a town from the gazetteer, or the event's own venue
    country_code: str | None
    latitude: float
    longitude: float
    total_km: float  # the sum of everyone's great-circle distance to this place
    max_km: float  # the longest single journey
    distances: list[Distance]  # per located participant, by user id


class Suggestions(ResponseBody):
    strategy: Strategy
    # The optimum of the strategy (null when nobody has a located region). Suggestions
    # are real places ranked by the same objective, so the best one is near it.
    center: Point | None
    participants: int  # located participants
    unlocated: list[int]  # participants without a resolved region, by user id
    # False when the participants do not all fit in one hemisphere: then no point is
    # meaningfully "central" and `fair` suggestions are arbitrary.
    within_hemisphere: bool
    suggestions: list[Suggestion]


class PlacePlan(ResponseBody):
    place_option_id: int
    total_km: float
    max_km: float


class OptionPlan(ResponseBody):
    option_id: int
    yes: int
    maybe: int
    participants: int  # located members who voted yes on this time option
    # The strategy's optimum for them; null below 3 (it would show where one or two live).
    center: Point | None
    places: list[PlacePlan]  # the place options with coordinates, best first


class Plan(ResponseBody):
    strategy: Strategy
    options: list[OptionPlan]  # every time option, in order
