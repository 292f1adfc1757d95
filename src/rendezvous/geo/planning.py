"""A joint date and place poll seen from where people live: per time option, the centre
of its located yes voters and the place options ranked for them (GET /events/{id}/plan),
and the confirm's tie-break between equally voted places (core.geocoding.Travel).

Answers are kept encoded in WorkerCaches.venue_answers, keyed by the event's and the
group's revisions (core.freshness): votes and options move the event's, members moving
region the group's."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import anyio
import msgspec
import numpy as np

from rendezvous.core.db.sql import Row
from rendezvous.core.freshness import WorkerCaches
from rendezvous.events import queries as events
from rendezvous.events.tally import Tally, tally
from rendezvous.geo.meeting_point.plan import plan, strategy_centre
from rendezvous.geo.meeting_point.sphere import FloatArray
from rendezvous.geo.schemas import OptionPlan, PlacePlan, Plan, Point, Strategy
from rendezvous.groups import queries as groups

KM_DECIMALS = 1
DEGREE_DECIMALS = 5  # about a metre


async def plan_for_event(event: Row, strategy: Strategy, caches: WorkerCaches) -> bytes:
    """`event`: its row as events.deps.provide_access_and_group_by_token read it, with the
    group's creation time and revision."""
    key = (
        "plan",
        event["id"],
        event["ical_uid"],
        event["revision"],
        event["group_created_at"],
        event["group_revision"],
        strategy,
    )

    async def compute() -> bytes:
        return await _encoded(await _poll(event["id"], event["group"]), strategy, caches)

    return await caches.venue_answers.get_or_compute(key, compute)


class TravelRanking:
    """core.geocoding.Travel: the confirm's tie-break between equally voted places."""

    async def least_total(self, event_id: int, option_id: int, place_ids: list[int]) -> list[int]:
        event = await events.event_row(event_id)
        if event is None:
            return place_ids
        poll = await _poll(event_id, event["group"])
        located = [p for p in poll.places if p["id"] in place_ids]
        if option_id not in poll.option_ids or not located:
            return place_ids
        [scores] = plan(
            poll.latitudes,
            poll.longitudes,
            poll.yes[[poll.option_ids.index(option_id)]],
            [p["latitude"] for p in located],
            [p["longitude"] for p in located],
            "total",
            centre_of=lambda *_: (0.0, 0.0),  # the ranking is wanted, not the centre
        )
        ranked = [located[score.place]["id"] for score in scores.places]
        return ranked + [pid for pid in place_ids if pid not in ranked]


class _Poll:
    """What a plan is made of: the located members, who voted yes on which option, and
    the located place options."""

    def __init__(
        self,
        members: list[dict[str, Any]],
        options: list[dict[str, Any]],
        voters: dict[int, set[int]],
        places: list[dict[str, Any]],
        counts: Tally,
    ) -> None:
        located = [m for m in members if m["latitude"] is not None and m["longitude"] is not None]
        self.latitudes = [m["latitude"] for m in located]
        self.longitudes = [m["longitude"] for m in located]
        self.option_ids = [o["id"] for o in options]
        self.yes = np.array(
            [[m["user_id"] in voters.get(o["id"], ()) for m in located] for o in options],
            dtype=bool,
        ).reshape(len(options), len(located))
        self.places = [p for p in places if p["latitude"] is not None]
        self.counts = counts


async def _poll(event_id: int, group_id: int) -> _Poll:
    options = await events.option_rows([event_id])
    counts = tally([option["id"] for option in options], await events.ballots([event_id]))
    return _Poll(
        await groups.member_places(group_id),
        options,
        await events.yes_voters(event_id),
        await events.place_rows([event_id]),
        counts,
    )


async def _encoded(poll: _Poll, strategy: Strategy, caches: WorkerCaches) -> bytes:
    # The centres already known are looked up here, and those found kept here: the cache
    # belongs to the event loop, the work to a thread.
    lats = np.asarray(poll.latitudes, dtype=np.float64)
    lons = np.asarray(poll.longitudes, dtype=np.float64)
    keys = [_centre_key(lats[voted], lons[voted], strategy) for voted in poll.yes]
    known = {key: centre for key in keys if (centre := caches.plan_centres.get(key)) is not None}
    found: dict[bytes, tuple[float, float]] = {}

    def centre_of(latitudes: FloatArray, longitudes: FloatArray) -> tuple[float, float]:
        key = _centre_key(latitudes, longitudes, strategy)
        centre = known.get(key) or found.get(key)
        if centre is None:
            centre = found[key] = strategy_centre(latitudes, longitudes, strategy)
        return centre

    def work() -> bytes:
        return msgspec.json.encode(_answer(poll, strategy, centre_of))

    # numpy releases the GIL for the heavy parts; a thread keeps the event loop free.
    encoded = await anyio.to_thread.run_sync(work)
    for key, centre in found.items():
        caches.plan_centres.put(key, centre)
    return encoded


def _centre_key(latitudes: FloatArray, longitudes: FloatArray, strategy: Strategy) -> bytes:
    digest = hashlib.blake2b(latitudes.tobytes(), digest_size=16)
    digest.update(longitudes.tobytes())
    return strategy.encode() + digest.digest()


def _answer(
    poll: _Poll,
    strategy: Strategy,
    centre_of: Callable[[FloatArray, FloatArray], tuple[float, float]],
) -> Plan:
    plans = plan(
        poll.latitudes,
        poll.longitudes,
        poll.yes,
        [p["latitude"] for p in poll.places],
        [p["longitude"] for p in poll.places],
        strategy,
        centre_of,
    )
    options = []
    for option_id, option_plan in zip(poll.option_ids, plans, strict=True):
        votes = poll.counts.of(option_id)
        centre = option_plan.centre
        options.append(
            OptionPlan(
                option_id=option_id,
                yes=votes.yes,
                maybe=votes.maybe,
                participants=option_plan.participants,
                center=None
                if centre is None
                else Point(
                    latitude=round(centre[0], DEGREE_DECIMALS),
                    longitude=round(centre[1], DEGREE_DECIMALS),
                ),
                places=[
                    PlacePlan(
                        place_option_id=poll.places[score.place]["id"],
                        total_km=round(score.total_km, KM_DECIMALS),
                        max_km=round(score.max_km, KM_DECIMALS),
                    )
                    for score in option_plan.places
                ],
            )
        )
    return Plan(strategy=strategy, options=options)
