"""Members on one great circle, where the sum of distances can tie along an arc: solved
exactly in one dimension, the tie going to the fairest point."""

from __future__ import annotations

import math

import numpy as np

from rendezvous.geo.meeting_point.sphere import FloatArray, _unit

# Members on one great circle to this precision (6 micrometres) tie along an arc.
_GREAT_CIRCLE_EPS = 1e-12


# --- ties along one great circle ----------------------------------------------------------------


def _great_circle_normal(points: FloatArray) -> FloatArray | None:
    """The normal of the one great circle through all the points, or None if there is none."""
    crosses = np.cross(points[:, 0], points.T)
    normal = _unit(crosses[int(np.argmax(np.einsum("ij,ij->i", crosses, crosses)))])
    return normal if float(np.max(np.abs(normal @ points))) <= _GREAT_CIRCLE_EPS else None


def _median_on_circle(
    points: FloatArray, w: FloatArray, normal: FloatArray, middle: FloatArray
) -> tuple[FloatArray, int | None]:
    """The weighted median of points on one great circle, all within a quarter turn of middle.

    No point off the circle does better, so the problem is the 1-D weighted median of
    the angles along the circle: an arc of optima when the weights balance exactly, of which
    the point nearest the middle of the members' span has the shortest longest journey.
    """
    across = np.cross(normal, middle)
    t = np.arctan2(across @ points, middle @ points)
    order = np.argsort(t, kind="stable")
    cumulative = np.cumsum(w[order])
    half = cumulative[-1] / 2
    slack = 1e-12 * cumulative[-1]
    first = int(np.searchsorted(cumulative, half - slack))
    low = high = first
    if abs(cumulative[first] - half) <= slack:  # balanced: every point between is optimal
        high = first + 1
    fairest = (t[order[0]] + t[order[-1]]) / 2
    lo, hi = t[order[low]], t[order[high]]
    if fairest <= lo:
        return points[:, order[low]], int(order[low])
    if fairest >= hi:
        return points[:, order[high]], int(order[high])
    return _unit(math.cos(fairest) * middle + math.sin(fairest) * across), None
