"""Strategy 'total': the spherical geometric median, by Weiszfeld and Newton descent from
one or several screened starts."""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from rendezvous.geo.meeting_point.great_circle import _great_circle_normal, _median_on_circle
from rendezvous.geo.meeting_point.hull import _HEMISPHERE_EPS, _min_norm_point
from rendezvous.geo.meeting_point.sphere import (
    Centre,
    FloatArray,
    _all_same,
    _at,
    _centre,
    _members,
    _objectives,
    _tangent_basis,
    _unit,
    _weights,
)

# The descent stops once its Newton or full Weiszfeld step is shorter than this (6 mm): Newton
# converges quadratically, so the error left is far below the promised 10 m.
_STEP_TOLERANCE_RAD = 1e-9
_MAX_ITERATIONS = 200
# Where the sum is flat (members all round the globe) Weiszfeld steps are tiny; stretching a
# step that went downhill, up to this factor, crosses such plains in a few steps.
_MAX_STRETCH = 64.0
# Closer than this (6 micrometres) a member is "at" the iterate: its direction is meaningless.
_COINCIDE_RAD = 1e-12
# Groups wider than a 45-degree cap: descents also start from the best _SCREEN_STARTS of a
# _SCREEN_GRID-point grid and the _SCREEN_MEMBERS heaviest members, judged on an even sample
# of at most _SCREEN_SAMPLE members.
_SCREEN_GRID = 128
_CONVEX_COS = math.cos(math.pi / 4)
_SCREEN_MEMBERS = 64
_SCREEN_STARTS = 3
_SCREEN_SAMPLE = 1000


def geometric_median(
    latitudes: npt.ArrayLike, longitudes: npt.ArrayLike, weights: npt.ArrayLike | None = None
) -> Centre:
    """Strategy 'total': the point minimising the weighted sum of great-circle distances.

    Spherical Weiszfeld (tangent-plane averages through the log/exp maps) with the Vardi-Zhang
    step whenever an iterate sits on a member, a member whose pull outweighs all the others'
    being the optimum; a Newton step in the tangent plane replaces the Weiszfeld step whenever it
    goes downhill, which makes the last iterations quadratic. The descent stops when its step is
    under 1e-9 rad (6 mm). Members on one great circle can tie along an arc: they are solved
    exactly in one dimension and the tie goes to the optimal point with the shortest longest
    journey (for two members, the midpoint).

    Within a cap of radius under 45 degrees every distance, hence the sum, is convex: one descent
    from the members' mean direction finds the optimum. Wider groups can have several local optima
    (often at heavy members), so the descent also starts from the best few points of a screening
    grid over the smallest cap holding the members (where the optimum lies) and of the heaviest
    members. Outside a hemisphere the grid covers the whole sphere; the result is still the best
    optimum found, with within_hemisphere=False.
    """
    lats, lons, points = _members(latitudes, longitudes)
    w = _weights(weights, points.shape[1])
    if _all_same(points):
        return _centre(points[:, 0], points, w, True, member=(lats[0], lons[0]))
    mean = points @ w
    if _within_convex_cap(points, mean) and _great_circle_normal(points) is None:
        # All within 45 degrees of their mean direction, so inside a cap under 45 degrees:
        # the one descent below, without first finding the smallest cap (the hull), which
        # took half the time of a compact group's centre.
        point, index, _ = _weiszfeld(points, w, _unit(mean))
        return _centre(point, points, w, True, member=_at(lats, lons, index))
    hull_point = _min_norm_point(points)
    hull_norm = float(np.linalg.norm(hull_point))
    hemisphere = hull_norm > _HEMISPHERE_EPS
    if hemisphere:
        normal = _great_circle_normal(points)
        if normal is not None:
            point, index = _median_on_circle(points, w, normal, _unit(hull_point))
            return _centre(point, points, w, True, member=_at(lats, lons, index))
    heaviest = points[:, int(np.argmax(w))]
    starts = [_unit(mean) if np.linalg.norm(mean) > 1e-9 * w.sum() else heaviest]
    radius = math.acos(min(1.0, hull_norm)) if hemisphere else math.pi
    if radius >= math.pi / 4:
        middle = _unit(hull_point) if hemisphere else starts[0]
        starts += _screened_starts(points, w, middle, radius)
    # min() keeps the first of equal optima: the mean-direction descent wins ties.
    point, index, _ = min((_weiszfeld(points, w, start) for start in starts), key=lambda r: r[2])
    return _centre(point, points, w, hemisphere, member=_at(lats, lons, index))


def _within_convex_cap(points: FloatArray, mean: FloatArray) -> bool:
    """Whether every member lies less than 45 degrees from the direction of `mean`."""
    norm = float(np.linalg.norm(mean))
    return norm > 0 and float(np.min((mean / norm) @ points)) > _CONVEX_COS


# --- 'total': spherical Weiszfeld ----------------------------------------------------------------


class _View(NamedTuple):
    """The members seen from a point c: angles, tangent components at c and their lengths."""

    cosines: FloatArray
    angles: FloatArray
    tangent: FloatArray
    sines: FloatArray


def _view(points: FloatArray, c: FloatArray) -> _View:
    cosines = c @ points
    tangent = points - np.outer(c, cosines)
    sines = np.sqrt(np.einsum("ij,ij->j", tangent, tangent))
    return _View(cosines, np.arctan2(sines, cosines), tangent, sines)


def _exp(c: FloatArray, step: FloatArray) -> FloatArray:
    length = float(np.linalg.norm(step))
    if length == 0:
        return c
    return _unit(math.cos(length) * c + math.sin(length) / length * step)


def _steps(
    c: FloatArray, w: FloatArray, view: _View
) -> tuple[FloatArray, FloatArray | None] | None:
    """The Weiszfeld step (Vardi-Zhang corrected for members sitting on c) and, where the Hessian
    is positive definite, the Newton step; None when c is optimal."""
    at = view.angles < _COINCIDE_RAD
    pulling = ~at & (view.sines > 0)  # an antipodal member pulls equally every way: no direction
    none = np.zeros_like(w)
    # The sum of w_i u_i, u_i the unit direction to member i: minus the gradient.
    resultant = view.tangent @ np.divide(w, view.sines, out=none.copy(), where=pulling)
    resting = float(w @ at)
    force = float(np.linalg.norm(resultant))
    if force <= resting or not np.any(pulling):
        return None
    weiszfeld = resultant / float(np.divide(w, view.angles, out=none.copy(), where=pulling).sum())
    if resting > 0:  # the members on c hold it back: distances to them are not differentiable
        return weiszfeld * (1 - resting / force), None
    # Weiszfeld alone crawls where the optimum sits in a narrow valley (near a heavy member);
    # Newton converges quadratically there. Hessian of w_i angle_i: w_i cot(angle_i) across u_i.
    curvature = np.divide(w * view.cosines, view.sines, out=none.copy(), where=pulling)
    spread = (view.tangent * np.divide(curvature, view.sines**2, out=none, where=pulling)) @ (
        view.tangent.T
    )
    basis = _tangent_basis(c)
    hessian = curvature.sum() * np.eye(2) - basis @ spread @ basis.T
    if np.linalg.eigvalsh(hessian)[0] <= 0:
        return weiszfeld, None
    return weiszfeld, basis.T @ np.linalg.solve(hessian, basis @ resultant)


def _screened_starts(
    points: FloatArray, w: FloatArray, middle: FloatArray, radius: float
) -> list[FloatArray]:
    """The best few of a spiral grid over the cap around middle and of the heaviest members."""
    i = np.arange(_SCREEN_GRID) + 0.5
    z = 1 - (1 - math.cos(radius)) * i / _SCREEN_GRID  # equal areas down the cap
    r = np.sqrt(1 - z * z)
    turn = i * math.pi * (3 - math.sqrt(5))  # the golden angle spreads the points evenly
    across, along = _tangent_basis(middle)
    grid = np.outer(across, r * np.cos(turn)) + np.outer(along, r * np.sin(turn))
    grid += np.outer(middle, z)
    # Heaviest first, then by position, so that the members' order does not matter.
    ranked = np.lexsort((points[2], points[1], points[0], -w))
    candidates = np.concatenate((grid, points[:, ranked[:_SCREEN_MEMBERS]]), axis=1)
    # Screening only has to find the right basin: an even sample of a large group will do.
    sample = ranked[:: -(-len(ranked) // _SCREEN_SAMPLE)]
    total, _ = _objectives(candidates, points[:, sample], w[sample])
    best = np.argsort(total, kind="stable")[:_SCREEN_STARTS]
    return [candidates[:, k] for k in best]


def _weiszfeld(
    points: FloatArray, w: FloatArray, start: FloatArray
) -> tuple[FloatArray, int | None, float]:
    """The weighted spherical geometric median from start, the member it sits on if any, and the
    weighted sum of angles there."""
    c = start
    view = _view(points, c)
    cost = float(view.angles @ w)
    scale = 1.0  # what the Weiszfeld step was stretched or shrunk to last time, doubled
    tested = -1
    for _ in range(_MAX_ITERATIONS):
        steps = _steps(c, w, view)
        if steps is None:
            break
        weiszfeld, newton = steps
        full = float(np.linalg.norm(weiszfeld))
        moved = None if newton is None else _descend(points, w, c, cost, newton, 0)
        if moved is not None:
            full = min(full, moved[3])
        else:
            # Curvature can make the step overshoot: halve it until it does not go uphill.
            moved = _descend(points, w, c, cost, weiszfeld * scale, 60)
            if moved is None:
                break  # nothing downhill at rounding level: as converged as it gets
            scale = min(_MAX_STRETCH, 2 * moved[3] / full)
        c, view, cost, taken = moved
        if full < _STEP_TOLERANCE_RAD:
            break
        # An optimum on a member is approached ever more slowly, never reached: once a member
        # is within a couple of steps, ask it directly (Vardi-Zhang's test).
        nearest = int(np.argmin(view.angles))
        if nearest != tested and view.angles[nearest] < 2 * taken:
            tested = nearest
            if (found := _member_optimum(points, w, nearest)) is not None:
                return found
    nearest = int(np.argmin(view.angles))
    if view.angles[nearest] < _COINCIDE_RAD:
        return points[:, nearest], nearest, cost
    found = _member_optimum(points, w, nearest) if nearest != tested else None
    return (c, None, cost) if found is None else found


def _member_optimum(
    points: FloatArray, w: FloatArray, member: int
) -> tuple[FloatArray, int, float] | None:
    """The member, its index and cost if it is optimal (its weight outweighs the others' pull)."""
    view = _view(points, points[:, member])
    if _steps(points[:, member], w, view) is not None:
        return None
    return points[:, member], member, float(view.angles @ w)


def _descend(
    points: FloatArray, w: FloatArray, c: FloatArray, cost: float, step: FloatArray, halvings: int
) -> tuple[FloatArray, _View, float, float] | None:
    """The point reached by step (halved up to halvings times) if it does not raise the cost,
    with its view, cost and the length of the step taken."""
    length = float(np.linalg.norm(step))
    for _ in range(halvings + 1):
        candidate = _exp(c, step)
        view = _view(points, candidate)
        candidate_cost = float(view.angles @ w)
        if candidate_cost <= cost * (1 + 4e-16):  # a rounding-level rise still counts as level
            return candidate, view, candidate_cost, length
        if length < _STEP_TOLERANCE_RAD:
            break
        step, length = step / 2, length / 2
    return None
