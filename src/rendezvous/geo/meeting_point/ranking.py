"""Candidate places: ranked under either strategy's objective, or preselected around a centre."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from rendezvous.geo.meeting_point.sphere import (
    EARTH_RADIUS_KM,
    FloatArray,
    IntArray,
    _members,
    _objectives,
    _weights,
)

# Ranking compares objectives to the millimetre, so rounding noise never decides between places.
_RANK_DECIMALS_KM = 6


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: arrays have no truth value to compare
class Ranking:
    order: IntArray  # indices into the places, best first
    total_km: FloatArray  # per place (in original place order)
    max_km: FloatArray


def rank_places(
    member_latitudes: npt.ArrayLike,
    member_longitudes: npt.ArrayLike,
    member_weights: npt.ArrayLike | None,
    place_latitudes: npt.ArrayLike,
    place_longitudes: npt.ArrayLike,
    strategy: Literal["total", "fair"],
) -> Ranking:
    """Order candidate places best first under the strategy's objective (weighted total km for
    'total', longest journey for 'fair'); ties go to the other objective, then the lower index."""
    if strategy not in ("total", "fair"):
        raise ValueError(f"unknown strategy {strategy!r}")
    _, _, members = _members(member_latitudes, member_longitudes)
    w = _weights(member_weights, members.shape[1])
    _, _, places = _members(place_latitudes, place_longitudes)
    count = places.shape[1]
    total, longest = (EARTH_RADIUS_KM * angles for angles in _objectives(places, members, w))
    primary, secondary = (total, longest) if strategy == "total" else (longest, total)
    order = np.lexsort(
        (
            np.arange(count),
            np.round(secondary, _RANK_DECIMALS_KM),
            np.round(primary, _RANK_DECIMALS_KM),
        )
    )
    return Ranking(order=order.astype(np.intp), total_km=total, max_km=longest)


class PlaceIndex:
    """Fixed places whose unit vectors are worked out once, for many nearest-place queries
    (the towns a worker ranks on every request)."""

    def __init__(self, latitudes: npt.ArrayLike, longitudes: npt.ArrayLike) -> None:
        _, _, self._places = _members(latitudes, longitudes)

    def __len__(self) -> int:
        return int(self._places.shape[1])

    def nearest(self, latitude: float, longitude: float, k: int) -> IntArray:
        """Indices of the k places nearest to a point, nearest first (ties: lower index first).

        Used to preselect candidates around a centre before rank_places. Each distance is
        convex within a quarter turn of its member, so for a group inside a cap of radius under
        45 degrees both objectives are convex around the optimum: they grow along every path
        leaving it and good places cluster around the centre. And whatever the shape of the
        group, the triangle inequality bounds the loss: a place r km from the optimum costs at
        most r km more on the longest journey (W * r more in total, W the total weight), so the
        best preselected place is at most that much worse than the optimum, r being the
        distance to the nearest place.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        _, _, origin = _members([latitude], [longitude])
        # The squared chord is monotone in distance and, unlike the dot product, exact for
        # near places.
        offsets = self._places - origin
        chord2 = np.einsum("ij,ij->j", offsets, offsets)
        k = min(k, len(chord2))
        kth = np.partition(chord2, k - 1)[k - 1]
        inner = np.flatnonzero(chord2 < kth)
        edge = np.flatnonzero(chord2 == kth)[: k - len(inner)]
        chosen = np.concatenate((inner, edge))
        return chosen[np.lexsort((chosen, chord2[chosen]))].astype(np.intp)


def nearest_indices(
    latitude: float,
    longitude: float,
    place_latitudes: npt.ArrayLike,
    place_longitudes: npt.ArrayLike,
    k: int,
) -> IntArray:
    """Indices of the k places nearest to a point, nearest first: PlaceIndex.nearest for
    places asked about once."""
    return PlaceIndex(place_latitudes, place_longitudes).nearest(latitude, longitude, k)
