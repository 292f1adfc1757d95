"""A joint date and place poll: for each time option, the centre of its located yes voters and
the place options ranked for them (GET /events/{event_id}/plan). Values in, values out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from rendezvous.geo.meeting_point.fair import minimax_centre
from rendezvous.geo.meeting_point.ranking import _RANK_DECIMALS_KM
from rendezvous.geo.meeting_point.sphere import Centre, FloatArray, distance_matrix_km
from rendezvous.geo.meeting_point.total import geometric_median

# A centre of one or two people would reveal where they live.
MIN_PEOPLE_FOR_CENTRE = 3


@dataclass(frozen=True, slots=True)
class PlaceScore:
    place: int  # index into the place arrays given
    total_km: float  # sum of the participants' great-circle distances to it
    max_km: float  # the longest of them


@dataclass(frozen=True, slots=True)
class OptionPlan:
    participants: int  # located yes voters of this option
    centre: tuple[float, float] | None  # (latitude, longitude); None below MIN_PEOPLE_FOR_CENTRE
    places: tuple[PlaceScore, ...]  # every place, best first


def plan(
    member_latitudes: npt.ArrayLike,
    member_longitudes: npt.ArrayLike,
    yes: npt.ArrayLike,
    place_latitudes: npt.ArrayLike,
    place_longitudes: npt.ArrayLike,
    strategy: Literal["total", "fair"],
    centre_of: Callable[[FloatArray, FloatArray], tuple[float, float]] | None = None,
) -> tuple[OptionPlan, ...]:
    """One plan per time option (rows of yes, members in columns), in order.

    An option's participants are the members who voted yes on it. Every place is scored by their
    total and longest great-circle journey to it and ranked best first: 'total' by total, then
    longest, then index; 'fair' by longest, then total, then index (objectives compared to the
    millimetre, as rank_places does). The centre is the strategy's optimum for the participants,
    withheld below MIN_PEOPLE_FOR_CENTRE of them; `centre_of` (their latitudes and longitudes
    in, the centre out) replaces strategy_centre, e.g. to reuse centres already known.
    """
    if strategy not in ("total", "fair"):
        raise ValueError(f"unknown strategy {strategy!r}")
    member_lats, member_lons = _coordinates(member_latitudes, member_longitudes, "member")
    place_lats, place_lons = _coordinates(place_latitudes, place_longitudes, "place")
    votes = _votes(yes, member_lats.size)

    # One places x members matrix serves every option: the options differ only in who counts.
    # distance_matrix_km, not _pairwise_angles: the latter loses ~1e-5 km near the antipode.
    if member_lats.size and place_lats.size:
        distances = distance_matrix_km(place_lats, place_lons, member_lats, member_lons)
    else:
        distances = np.zeros((place_lats.size, member_lats.size))
    totals = votes.astype(np.float64) @ distances.T
    # Distances are never negative, so a place with no participants scores 0 on both objectives.
    longest = np.max(
        np.broadcast_to(distances, (len(votes), *distances.shape)),
        axis=2,
        where=votes[:, np.newaxis, :],
        initial=0.0,
    )
    primary, secondary = (totals, longest) if strategy == "total" else (longest, totals)
    indices = np.broadcast_to(np.arange(place_lats.size), totals.shape)
    orders = np.lexsort(
        (
            indices,
            np.round(secondary, _RANK_DECIMALS_KM),
            np.round(primary, _RANK_DECIMALS_KM),
        ),
        axis=-1,
    )

    centre_of = centre_of or (lambda lats, lons: strategy_centre(lats, lons, strategy))
    plans = []
    for voted, order, total, most in zip(votes, orders, totals, longest, strict=True):
        count = int(voted.sum())
        centre = None
        if count >= MIN_PEOPLE_FOR_CENTRE:
            centre = centre_of(member_lats[voted], member_lons[voted])
        total_km, max_km = total.tolist(), most.tolist()  # plain floats for the caller
        places = tuple(PlaceScore(p, total_km[p], max_km[p]) for p in order.tolist())
        plans.append(OptionPlan(participants=count, centre=centre, places=places))
    return tuple(plans)


def strategy_centre(
    latitudes: FloatArray, longitudes: FloatArray, strategy: Literal["total", "fair"]
) -> tuple[float, float]:
    """The strategy's optimum for these people: the geometric median, or the centre of
    the smallest cap."""
    solver: Callable[[npt.ArrayLike, npt.ArrayLike], Centre] = (
        geometric_median if strategy == "total" else minimax_centre
    )
    found = solver(latitudes, longitudes)
    return found.latitude, found.longitude


def _coordinates(
    latitudes: npt.ArrayLike, longitudes: npt.ArrayLike, what: str
) -> tuple[FloatArray, FloatArray]:
    # Unlike sphere._members, an empty set is fine here: a poll may have no one or nothing yet.
    lats = np.asarray(latitudes, dtype=np.float64)
    lons = np.asarray(longitudes, dtype=np.float64)
    if lats.ndim != 1 or lats.shape != lons.shape:
        raise ValueError(f"{what} latitudes and longitudes must be 1-D arrays of the same length")
    if not (np.all(np.isfinite(lats)) and np.all(np.isfinite(lons))):
        raise ValueError(f"{what} coordinates must be finite")
    if np.any(np.abs(lats) > 90) or np.any(np.abs(lons) > 180):
        raise ValueError(f"{what} latitudes must lie in [-90, 90] and longitudes in [-180, 180]")
    return lats, lons


def _votes(yes: npt.ArrayLike, members: int) -> npt.NDArray[np.bool_]:
    votes = np.asarray(yes)
    if votes.ndim != 2 or votes.shape[1] != members:
        raise ValueError("yes must be a 2-D array with one column per member")
    if votes.dtype != np.bool_ and not np.all(np.isin(votes, (0, 1))):
        raise ValueError("yes must hold booleans")
    return votes.astype(np.bool_)
