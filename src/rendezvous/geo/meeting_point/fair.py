"""Strategy 'fair': the centre of the smallest spherical cap holding every member."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rendezvous.geo.meeting_point.hull import _HEMISPHERE_EPS, _min_norm_point
from rendezvous.geo.meeting_point.sphere import Centre, _all_same, _centre, _members, _unit
from rendezvous.geo.meeting_point.total import geometric_median


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
