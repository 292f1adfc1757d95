"""The pure maths of a fair meeting place on the sphere: the 'total' and 'fair' centres of a group
and the ranking of candidate places. Values in, values out (numpy arrays of degrees).

Everything runs on 3-D unit vectors, so the antimeridian and the poles need no special cases.

The package splits along the maths: sphere (vectors, distances, shared types), total
(Weiszfeld/Newton descent), hull and fair (Wolfe's min-norm point, the smallest cap),
great_circle (ties along one arc) and ranking (candidate places).
"""

from rendezvous.geo.meeting_point.fair import minimax_centre
from rendezvous.geo.meeting_point.ranking import (
    PlaceIndex,
    Ranking,
    nearest_indices,
    rank_places,
)
from rendezvous.geo.meeting_point.sphere import (
    EARTH_RADIUS_KM,
    Centre,
    distance_matrix_km,
    distances_km,
)
from rendezvous.geo.meeting_point.total import geometric_median

__all__ = [
    "EARTH_RADIUS_KM",
    "Centre",
    "PlaceIndex",
    "Ranking",
    "distance_matrix_km",
    "distances_km",
    "geometric_median",
    "minimax_centre",
    "nearest_indices",
    "rank_places",
]
