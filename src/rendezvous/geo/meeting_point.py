"""The pure maths of a fair meeting place on the sphere: the 'total' and 'fair' centres of a group
and the ranking of candidate places. Values in, values out (numpy arrays of degrees).

Everything runs on 3-D unit vectors, so the antimeridian and the poles need no special cases.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius (geopy's EARTH_RADIUS rounds it: 6371.009)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# The descent stops once its Newton or full Weiszfeld step is shorter than this (6 mm): Newton
# converges quadratically, so the error left is far below the promised 10 m.
_STEP_TOLERANCE_RAD = 1e-9
_MAX_ITERATIONS = 200
# Where the sum is flat (members all round the globe) Weiszfeld steps are tiny; stretching a
# step that went downhill, up to this factor, crosses such plains in a few steps.
_MAX_STRETCH = 64.0
# Closer than this (6 micrometres) a member is "at" the iterate: its direction is meaningless.
_COINCIDE_RAD = 1e-12
# A min-norm point shorter than this means the origin is (numerically) on the hull: no open
# hemisphere holds all the members, the smallest enclosing cap is a hemisphere or more.
_HEMISPHERE_EPS = 1e-10
# Members on one great circle to this precision (6 micrometres) tie along an arc.
_GREAT_CIRCLE_EPS = 1e-12
_MAX_WOLFE_ITERATIONS = 200
# Groups wider than a 45-degree cap: descents also start from the best _SCREEN_STARTS of a
# _SCREEN_GRID-point grid and the _SCREEN_MEMBERS heaviest members, judged on an even sample
# of at most _SCREEN_SAMPLE members.
_SCREEN_GRID = 128
_SCREEN_MEMBERS = 64
_SCREEN_STARTS = 3
_SCREEN_SAMPLE = 1000
# Distance-matrix cells per chunk: two float grids of this size (16 MB) are alive at once.
_CHUNK_CELLS = 1 << 20
# Ranking compares objectives to the millimetre, so rounding noise never decides between places.
_RANK_DECIMALS_KM = 6


@dataclass(frozen=True, slots=True)
class Centre:
    latitude: float
    longitude: float  # normalised to [-180, 180)
    total_km: float  # sum of (weighted) distances from the members to this point
    max_km: float  # longest single distance
    within_hemisphere: bool  # False: no open hemisphere holds every member ('fair' is meaningless)


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: arrays have no truth value to compare
class Ranking:
    order: IntArray  # indices into the places, best first
    total_km: FloatArray  # per place (in original place order)
    max_km: FloatArray


def distances_km(
    latitude: float, longitude: float, latitudes: npt.ArrayLike, longitudes: npt.ArrayLike
) -> FloatArray:
    """Great-circle distances from one point to many, accurate at every separation."""
    _, _, origin = _members([latitude], [longitude])
    _, _, points = _members(latitudes, longitudes)
    return EARTH_RADIUS_KM * _angles(points, origin[:, 0])


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
    hull_point = _min_norm_point(points)
    hull_norm = float(np.linalg.norm(hull_point))
    hemisphere = hull_norm > _HEMISPHERE_EPS
    if hemisphere:
        normal = _great_circle_normal(points)
        if normal is not None:
            point, index = _median_on_circle(points, w, normal, _unit(hull_point))
            return _centre(point, points, w, True, member=_at(lats, lons, index))
    mean = points @ w
    heaviest = points[:, int(np.argmax(w))]
    starts = [_unit(mean) if np.linalg.norm(mean) > 1e-9 * w.sum() else heaviest]
    radius = math.acos(min(1.0, hull_norm)) if hemisphere else math.pi
    if radius >= math.pi / 4:
        middle = _unit(hull_point) if hemisphere else starts[0]
        starts += _screened_starts(points, w, middle, radius)
    # min() keeps the first of equal optima: the mean-direction descent wins ties.
    point, index, _ = min((_weiszfeld(points, w, start) for start in starts), key=lambda r: r[2])
    return _centre(point, points, w, hemisphere, member=_at(lats, lons, index))


def minimax_centre(latitudes: npt.ArrayLike, longitudes: npt.ArrayLike) -> Centre:
    """Strategy 'fair': the centre of the smallest spherical cap holding every member.

    For members inside an open hemisphere, max over unit c of min_i c.p_i is the distance from the
    origin to the convex hull of the unit vectors p_i, attained at c = q/|q| for the hull's
    min-norm point q, found exactly by Wolfe's algorithm. When no open hemisphere holds them, no
    point is within a quarter circumference of everyone; the centre is then the (unweighted)
    geometric median, the point of least total travel, with within_hemisphere=False.
    """
    lats, lons, points = _members(latitudes, longitudes)
    w = np.ones(points.shape[1])
    if _all_same(points):
        return _centre(points[:, 0], points, w, True, member=(lats[0], lons[0]))
    hull_point = _min_norm_point(points)
    if np.linalg.norm(hull_point) > _HEMISPHERE_EPS:
        return _centre(_unit(hull_point), points, w, True)
    median = geometric_median(lats, lons)
    return Centre(median.latitude, median.longitude, median.total_km, median.max_km, False)


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


def nearest_indices(
    latitude: float,
    longitude: float,
    place_latitudes: npt.ArrayLike,
    place_longitudes: npt.ArrayLike,
    k: int,
) -> IntArray:
    """Indices of the k places nearest to a point, nearest first (ties: lower index first).

    Used to preselect candidates around a centre before rank_places. Each distance is convex
    within a quarter turn of its member, so for a group inside a cap of radius under 45 degrees
    both objectives are convex around the optimum: they grow along every path leaving it and
    good places cluster around the centre. And whatever the shape of the group, the triangle
    inequality bounds the loss: a place r km from the optimum costs at most r km more on the
    longest journey (W * r more in total, W the total weight), so the best preselected place is
    at most that much worse than the optimum, r being the distance to the nearest place.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    _, _, origin = _members([latitude], [longitude])
    _, _, places = _members(place_latitudes, place_longitudes)
    # The squared chord is monotone in distance and, unlike the dot product, exact for near places.
    offsets = places - origin
    chord2 = np.einsum("ij,ij->j", offsets, offsets)
    k = min(k, len(chord2))
    kth = np.partition(chord2, k - 1)[k - 1]
    inner = np.flatnonzero(chord2 < kth)
    edge = np.flatnonzero(chord2 == kth)[: k - len(inner)]
    chosen = np.concatenate((inner, edge))
    return chosen[np.lexsort((chosen, chord2[chosen]))].astype(np.intp)


# --- vectors and validation -------------------------------------------------------------------


def _members(
    latitudes: npt.ArrayLike, longitudes: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    lats = np.asarray(latitudes, dtype=np.float64)
    lons = np.asarray(longitudes, dtype=np.float64)
    if lats.ndim != 1 or lats.shape != lons.shape:
        raise ValueError("latitudes and longitudes must be 1-D arrays of the same length")
    if lats.size == 0:
        raise ValueError("at least one point is needed")
    if not (np.all(np.isfinite(lats)) and np.all(np.isfinite(lons))):
        raise ValueError("coordinates must be finite")
    if np.any(np.abs(lats) > 90):
        raise ValueError("latitudes must lie in [-90, 90]")
    return lats, lons, _vectors(lats, lons)


def _vectors(latitudes: npt.ArrayLike, longitudes: npt.ArrayLike) -> FloatArray:
    # One row per coordinate (3 x n): numpy's loops run fast along the long axis.
    phi = np.radians(np.asarray(latitudes, dtype=np.float64))
    lam = np.radians(np.asarray(longitudes, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def _weights(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise ValueError("weights must be a 1-D array with one weight per member")
    if not (np.all(np.isfinite(w)) and np.all(w > 0)):
        raise ValueError("weights must be positive and finite")
    return w


def _unit(v: FloatArray) -> FloatArray:
    return v / np.linalg.norm(v)


def _all_same(points: FloatArray) -> bool:
    # 1e-15 (6 nanometres) also merges one pole written with different longitudes
    return bool(np.max(np.abs(points - points[:, :1])) <= 1e-15)


def _at(lats: FloatArray, lons: FloatArray, index: int | None) -> tuple[float, float] | None:
    return None if index is None else (float(lats[index]), float(lons[index]))


def _angles(points: FloatArray, point: FloatArray) -> FloatArray:
    # 2 atan2(|a - b|, |a + b|) keeps full precision near 0 and near pi alike (Kahan).
    minus = points - point[:, None]
    plus = points + point[:, None]
    return 2 * np.arctan2(
        np.sqrt(np.einsum("ij,ij->j", minus, minus)), np.sqrt(np.einsum("ij,ij->j", plus, plus))
    )


def _pairwise_angles(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angles between every column of a and every column of b, from the squared chords: the
    angle from the chord up to a quarter turn, and pi minus the angle from the chord to the
    antipode beyond, both well conditioned (and one arcsin per cell instead of an arctan2)."""
    chord2 = np.zeros((a.shape[1], b.shape[1]))
    d = np.empty_like(chord2)
    for axis in range(3):  # one coordinate at a time: two grids in memory, not three per axis
        np.subtract.outer(a[axis], b[axis], out=d)
        d *= d
        chord2 += d
    far = chord2 > 2
    np.subtract(4, chord2, out=d)  # squared chord to the antipode, |a + b|^2 = 4 - |a - b|^2
    np.minimum(d, chord2, out=d)
    np.sqrt(d, out=d)
    d *= 0.5
    np.minimum(d, 1.0, out=d)
    np.arcsin(d, out=d)
    d *= 2
    np.subtract(math.pi, d, out=d, where=far)
    return d


def _objectives(
    candidates: FloatArray, members: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Weighted total and longest angle from each candidate to the members, chunk by chunk."""
    count = candidates.shape[1]
    total = np.empty(count)
    longest = np.empty(count)
    rows = max(1, _CHUNK_CELLS // members.shape[1])
    for start in range(0, count, rows):
        block = slice(start, start + rows)
        angles = _pairwise_angles(candidates[:, block], members)
        total[block] = angles @ w
        longest[block] = angles.max(axis=1)
    return total, longest


def _tangent_basis(c: FloatArray) -> FloatArray:
    """Two orthonormal tangent vectors at the unit vector c, as the rows of a 2 x 3 array."""
    across = _unit(np.cross(c, np.eye(3)[int(np.argmin(np.abs(c)))]))
    return np.stack((across, np.cross(c, across)))


def _centre(
    point: FloatArray,
    points: FloatArray,
    w: FloatArray,
    hemisphere: bool,
    member: tuple[float, float] | None = None,
) -> Centre:
    angles = _angles(points, point)
    if member is not None:  # the answer is a member: give back its own coordinates, unrounded
        latitude, longitude = member
    else:
        latitude = math.degrees(math.atan2(point[2], math.hypot(point[0], point[1])))
        longitude = math.degrees(math.atan2(point[1], point[0]))
    return Centre(
        latitude=latitude,
        longitude=longitude if -180.0 <= longitude < 180.0 else (longitude + 180.0) % 360.0 - 180.0,
        total_km=float(EARTH_RADIUS_KM * (angles @ w)),
        max_km=float(EARTH_RADIUS_KM * angles.max()),
        within_hemisphere=hemisphere,
    )


# --- 'fair': the min-norm point of the hull (Wolfe) ---------------------------------------------


def _min_norm_point(points: FloatArray) -> FloatArray:
    """Wolfe's algorithm: the point of the convex hull of the columns closest to the origin."""
    support = [0]
    lam = np.ones(1)
    x = points[:, 0].copy()
    for _ in range(_MAX_WOLFE_ITERATIONS):
        if x @ x <= _HEMISPHERE_EPS**2:
            break
        dots = x @ points
        j = int(np.argmin(dots))
        # x.x - min x.p bounds how far |x| is above the optimum: zero up to rounding means done.
        if x @ x - dots[j] <= 1e-15 or j in support:
            break
        support.append(j)
        lam = np.append(lam, 0.0)
        while True:  # Wolfe's minor cycle: move towards the affine min-norm point of the support
            alpha = _affine_min_norm(points[:, support].T)
            if np.all(alpha > 0):
                lam = alpha
                break
            # Go as far towards alpha as the simplex allows; the vertex that stops us leaves.
            negative = np.flatnonzero(alpha <= 0)
            gaps = lam[negative] - alpha[negative]
            ratios = np.divide(lam[negative], gaps, out=np.zeros_like(gaps), where=gaps > 0)
            step = float(ratios.min())
            lam = step * alpha + (1 - step) * lam
            lam[negative[int(np.argmin(ratios))]] = 0.0
            keep = lam > 1e-15
            support = [s for s, kept in zip(support, keep, strict=True) if kept]
            lam = lam[keep] / lam[keep].sum()
            if len(support) == 1:
                break
        previous, x = x, points[:, support] @ lam
        if x @ x >= previous @ previous:  # rounding stalled the descent: x is as good as it gets
            break
    return x


def _affine_min_norm(support: FloatArray) -> FloatArray:
    """Barycentric weights of the point of the support's affine hull nearest the origin."""
    if len(support) == 1:
        return np.ones(1)
    base = support[0]
    edges = support[1:] - base
    # min |base + edges^T beta| by least squares (the normal equations would square the condition)
    beta = np.linalg.lstsq(edges.T, -base, rcond=None)[0]
    return np.concatenate(([1.0 - beta.sum()], beta))


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
