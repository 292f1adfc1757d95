"""Points on the sphere as 3-D unit vectors: validation, distances and the types and
constants both strategies and the ranking share."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius (geopy's EARTH_RADIUS rounds it: 6371.009)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Distance-matrix cells per chunk: two float grids of this size (16 MB) are alive at once.
_CHUNK_CELLS = 1 << 20


@dataclass(frozen=True, slots=True)
class Centre:
    latitude: float
    longitude: float  # normalised to [-180, 180)
    total_km: float  # sum of (weighted) distances from the members to this point
    max_km: float  # longest single distance
    within_hemisphere: bool  # False: no open hemisphere holds every member ('fair' is meaningless)


def distances_km(
    latitude: float, longitude: float, latitudes: npt.ArrayLike, longitudes: npt.ArrayLike
) -> FloatArray:
    """Great-circle distances from one point to many, accurate at every separation."""
    _, _, origin = _members([latitude], [longitude])
    _, _, points = _members(latitudes, longitudes)
    return EARTH_RADIUS_KM * _angles(points, origin[:, 0])


def distance_matrix_km(
    latitudes: npt.ArrayLike,
    longitudes: npt.ArrayLike,
    to_latitudes: npt.ArrayLike,
    to_longitudes: npt.ArrayLike,
) -> FloatArray:
    """Great-circle distances from each of a few points (rows) to each of many (columns),
    accurate at every separation: distances_km for several origins at once."""
    _, _, origins = _members(latitudes, longitudes)
    _, _, points = _members(to_latitudes, to_longitudes)
    return EARTH_RADIUS_KM * np.stack([_angles(points, origin) for origin in origins.T])


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
    across = _unit(_cross(c, np.eye(3)[int(np.argmin(np.abs(c)))]))
    return np.stack((across, _cross(c, across)))


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """a x b for two 3-vectors, as np.cross works it out, without its checks and axis
    handling: called at every descent step, they made a joint poll's plan for 20 dates of
    500 members take 36 ms instead of 30 (the "total" centre of each date)."""
    a0, a1, a2 = a.tolist()
    b0, b1, b2 = b.tolist()
    return np.array((a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0))


def _centre(
    point: FloatArray,
    points: FloatArray,
    w: FloatArray,
    hemisphere: bool,
    member: tuple[float, float] | None = None,
) -> Centre:
    angles = _angles(points, point)
    if member is not None:  # the answer is a member: give back its own coordinates, unrounded
        latitude, longitude = float(member[0]), float(member[1])
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
