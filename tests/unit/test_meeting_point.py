import math

import numpy as np
import pytest
from geopy.distance import great_circle
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.spatial.transform import Rotation

from rendezvous.geo import meeting_point as mp
from rendezvous.geo.meeting_point import (
    EARTH_RADIUS_KM,
    distance_matrix_km,
    distances_km,
    geometric_median,
    minimax_centre,
    nearest_indices,
    rank_places,
)
from rendezvous.geo.meeting_point.sphere import _vectors
from rendezvous.geo.meeting_point.total import _weiszfeld

UK = [
    (51.5074, -0.1278),
    (53.8008, -1.5491),
    (55.8642, -4.2518),
    (51.4816, -3.1791),
    (52.6309, 1.2974),
    (50.3755, -4.1427),
]  # London Leeds Glasgow Cardiff Norwich Plymouth
EUROPE = [
    (38.7223, -9.1393),
    (52.5200, 13.4050),
    (41.9028, 12.4964),
    (59.3293, 18.0686),
    (52.2297, 21.0122),
]  # Lisbon Berlin Rome Stockholm Warsaw
PACIFIC = [
    (35.6762, 139.6503),
    (-33.8688, 151.2093),
    (21.3069, -157.8583),
    (-36.8485, 174.7633),
    (37.7749, -122.4194),
]  # Tokyo Sydney Honolulu Auckland SF
ARCTIC = [
    (78.2232, 15.6267),
    (82.5018, -62.3481),
    (71.2906, -156.7886),
    (68.9585, 33.0827),
    (71.6368, 128.8677),
    (64.1466, -21.9426),
]  # Longyearbyen Alert Utqiagvik Murmansk ...
AROUND_THE_POLE = [(90.0, 0.0), (85.0, 0.0), (85.0, 120.0), (86.0, -120.0), (80.0, 179.9)]


# --- brute-force references (scipy, independent of the module's algorithms) --------------------


def vectors(lat, lon) -> np.ndarray:
    phi, lam = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    return np.stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)), axis=-1)


def to_degrees(c: np.ndarray) -> tuple[float, float]:
    return math.degrees(math.atan2(c[2], math.hypot(c[0], c[1]))), math.degrees(
        math.atan2(c[1], c[0])
    )


def angles_from(c: np.ndarray, points: np.ndarray) -> np.ndarray:
    c = c / np.linalg.norm(c)
    return np.arctan2(np.linalg.norm(np.cross(points, c), axis=-1), points @ c)


def grid_angles(grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.arccos(np.clip(grid @ points.T, -1, 1))  # coarse is fine: only to pick starts


def fibonacci_sphere(n: int = 2000) -> np.ndarray:
    i = np.arange(n) + 0.5
    z = 1 - 2 * i / n
    r, phi = np.sqrt(1 - z * z), np.pi * (1 + 5**0.5) * i
    return np.stack((r * np.cos(phi), r * np.sin(phi), z), axis=-1)


def reference_total(group, weights=None) -> tuple[np.ndarray, float]:
    """A grid over the whole sphere, then Nelder-Mead polish of its best few points."""
    points = vectors(*np.array(group, float).T)
    w = np.ones(len(points)) if weights is None else np.asarray(weights, float)

    def cost(c: np.ndarray) -> float:
        return float(angles_from(c, points) @ w)

    grid = fibonacci_sphere()
    costs = grid_angles(grid, points) @ w
    best: tuple[np.ndarray, float] | None = None
    for g in grid[np.argsort(costs)[:3]]:
        e1 = np.cross(g, [0.31, 0.52, 0.79])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(g, e1)
        uv, size = np.zeros(2), 0.05
        for _ in range(5):  # restart with a smaller simplex: NM stalls on kinks otherwise
            simplex = [uv, uv + np.array([size, 0.0]), uv + np.array([0.0, size])]
            uv = minimize(
                lambda uv: cost(g + uv[0] * e1 + uv[1] * e2),  # noqa: B023
                uv,
                method="Nelder-Mead",
                options={
                    "xatol": 1e-12,
                    "fatol": 1e-15,
                    "maxiter": 20000,
                    "initial_simplex": simplex,
                },
            ).x
            size /= 10
        c = g + uv[0] * e1 + uv[1] * e2
        c /= np.linalg.norm(c)
        if best is None or cost(c) < best[1]:
            best = (c, cost(c))
    assert best is not None
    return best[0], best[1] * EARTH_RADIUS_KM


def reference_fair(group) -> tuple[np.ndarray, float]:
    """max t subject to c.p_i >= t and |c| <= 1, by SLSQP from the best grid point."""
    points = vectors(*np.array(group, float).T)
    grid = fibonacci_sphere()
    start = grid[np.argmin(grid_angles(grid, points).max(axis=1))]
    result = minimize(
        lambda x: -x[3],
        np.r_[start, np.min(points @ start)],
        jac=lambda x: np.r_[0.0, 0.0, 0.0, -1.0],
        method="SLSQP",
        constraints=[
            {
                "type": "ineq",
                "fun": lambda x: points @ x[:3] - x[3],
                "jac": lambda x: np.c_[points, -np.ones(len(points))],
            },
            {
                "type": "ineq",
                "fun": lambda x: 1 - x[:3] @ x[:3],
                "jac": lambda x: np.r_[-2 * x[:3], 0.0],
            },
        ],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    c = result.x[:3] / np.linalg.norm(result.x[:3])
    return c, float(angles_from(c, points).max()) * EARTH_RADIUS_KM


def random_group(seed: int, n: int | None = None, radius_deg: float | None = None):
    """Members scattered uniformly over a cap with a random centre."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9)) if n is None else n
    radius = math.radians(rng.uniform(2, 40) if radius_deg is None else radius_deg)
    centre = rng.normal(size=3)
    centre /= np.linalg.norm(centre)
    e1 = np.cross(centre, [0.6, 0.0, 0.8])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(centre, e1)
    r = np.arccos(1 - rng.uniform(0, 1, n) * (1 - math.cos(radius)))
    b = rng.uniform(0, 2 * math.pi, n)
    sin_r = np.sin(r)[:, None]
    points = np.cos(r)[:, None] * centre
    points = points + sin_r * np.cos(b)[:, None] * e1 + sin_r * np.sin(b)[:, None] * e2
    return [to_degrees(p) for p in points]


def apart_km(a: mp.Centre, latitude: float, longitude: float) -> float:
    return float(distances_km(a.latitude, a.longitude, [latitude], [longitude])[0])


def columns(group) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = np.array(group, float).T
    return lat, lon


GROUPS = {
    "uk": (UK, None),
    "europe": (EUROPE, None),
    "trans-pacific": (PACIFIC, None),
    "arctic": (ARCTIC, None),
    "around-the-pole": (AROUND_THE_POLE, [1, 2, 1, 3, 1]),
    "random-small": (random_group(1, radius_deg=3), None),
    "random-weighted": (random_group(2, n=7, radius_deg=25), [3, 1, 4, 1, 5, 9, 2]),
    "random-wide": (random_group(3, n=8, radius_deg=75), None),
    "random-heavy-member": (random_group(4, n=6, radius_deg=30), [4.5, 1, 1, 1, 1, 1]),
}


@pytest.mark.parametrize("name", GROUPS)
def test_total_matches_brute_force(name: str) -> None:
    group, weights = GROUPS[name]
    centre = geometric_median(*columns(group), weights)
    best, best_km = reference_total(group, weights)
    assert centre.within_hemisphere
    assert abs(centre.total_km - best_km) < 0.01  # 10 m of total travel
    assert apart_km(centre, *to_degrees(best)) < 0.01


@pytest.mark.parametrize("name", GROUPS)
def test_fair_matches_brute_force(name: str) -> None:
    group, _ = GROUPS[name]
    centre = minimax_centre(*columns(group))
    best, best_km = reference_fair(group)
    assert centre.within_hemisphere
    assert abs(centre.max_km - best_km) < 1
    assert apart_km(centre, *to_degrees(best)) < 1
    lat, lon = columns(group)
    assert centre.max_km == pytest.approx(
        distances_km(centre.latitude, centre.longitude, lat, lon).max(), abs=1e-6
    )


def test_trans_pacific_centre_lies_in_the_pacific() -> None:
    for centre in (geometric_median(*columns(PACIFIC)), minimax_centre(*columns(PACIFIC))):
        assert -180 <= centre.longitude < 180
        assert centre.longitude > 150 or centre.longitude < -140  # across the antimeridian


# --- properties --------------------------------------------------------------------------------

seeds = st.integers(0, 2**32 - 1)


def rotate(rotation: Rotation, group) -> list[tuple[float, float]]:
    return [to_degrees(rotation.apply(v)) for v in vectors(*columns(group))]


@settings(max_examples=30, deadline=None)
@given(seeds, seeds)
def test_rotating_the_members_rotates_both_centres(group_seed: int, rotation_seed: int) -> None:
    group = random_group(group_seed)  # random, so the optimum is unique
    rotation = Rotation.random(random_state=rotation_seed)
    for solve in (geometric_median, minimax_centre):
        before = solve(*columns(group))
        after = solve(*columns(rotate(rotation, group)))
        expected = to_degrees(rotation.apply(vectors(before.latitude, before.longitude)))
        assert apart_km(after, *expected) < 0.01
        assert after.total_km == pytest.approx(before.total_km, abs=0.01)
        assert after.max_km == pytest.approx(before.max_km, abs=0.01)


@settings(max_examples=30, deadline=None)
@given(seeds, seeds)
def test_permuting_the_members_changes_nothing(group_seed: int, order_seed: int) -> None:
    group = random_group(group_seed)
    weights = np.random.default_rng(group_seed).integers(1, 5, len(group)).astype(float)
    order = np.random.default_rng(order_seed).permutation(len(group))
    lat, lon = columns(group)
    before = geometric_median(lat, lon, weights)
    after = geometric_median(lat[order], lon[order], weights[order])
    assert apart_km(after, before.latitude, before.longitude) < 0.01
    assert after.total_km == pytest.approx(before.total_km, abs=0.01)
    before, after = minimax_centre(lat, lon), minimax_centre(lat[order], lon[order])
    assert apart_km(after, before.latitude, before.longitude) < 0.001


def polygon(latitude: float, longitude: float, sides: int, radius_deg: float, turn: float):
    """A regular polygon of members radius_deg around (latitude, longitude)."""
    centre = vectors(latitude, longitude)
    east = np.eye(3)[np.argmin(np.abs(centre))]  # the axis least aligned, made tangent
    east = east - (east @ centre) * centre
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    r = math.radians(radius_deg)
    corners = []
    for k in range(sides):
        b = turn + 2 * math.pi * k / sides
        v = math.cos(r) * centre + math.sin(r) * (math.cos(b) * east + math.sin(b) * north)
        corners.append(to_degrees(v))
    return corners


@settings(max_examples=30, deadline=None)
@given(
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.integers(3, 8),
    st.floats(0.5, 40),
    st.floats(0, 2 * math.pi),
)
def test_a_member_at_the_centre_of_a_symmetric_group_stays_the_centre(
    latitude: float, longitude: float, sides: int, radius: float, turn: float
) -> None:
    corners = polygon(latitude, longitude, sides, radius, turn)
    for group in (corners, [*corners, (latitude, longitude)]):
        for centre in (geometric_median(*columns(group)), minimax_centre(*columns(group))):
            assert apart_km(centre, latitude, longitude) < 0.01
    centre = geometric_median(*columns([*corners, (latitude, longitude)]))
    # the member itself, its coordinates as given (longitude normalised to [-180, 180))
    assert (centre.latitude, centre.longitude) == (
        latitude,
        -180.0 if longitude == 180 else longitude,
    )


@settings(max_examples=30, deadline=None)
@given(seeds, st.lists(st.integers(1, 4), min_size=3, max_size=8))
def test_duplicated_members_count_as_weights(group_seed: int, counts: list[int]) -> None:
    group = random_group(group_seed, n=len(counts))
    lat, lon = columns(group)
    repeated = np.repeat(np.arange(len(group)), counts)
    weighted = geometric_median(lat, lon, counts)
    duplicated = geometric_median(lat[repeated], lon[repeated])
    assert apart_km(duplicated, weighted.latitude, weighted.longitude) < 0.01
    assert duplicated.total_km == pytest.approx(weighted.total_km, abs=0.01)
    once, many = minimax_centre(lat, lon), minimax_centre(lat[repeated], lon[repeated])
    assert apart_km(many, once.latitude, once.longitude) < 0.001


# --- ties, members on the optimum, and no hemisphere ---------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "midpoint"),
    [
        ((51.5074, -0.1278), (48.8566, 2.3522), None),  # London and Paris
        ((10.0, 179.0), (-10.0, -179.0), (0.0, 180.0)),  # across the antimeridian
        ((80.0, 0.0), (80.0, 180.0), (90.0, 0.0)),  # over the pole
        ((0.0, -60.0), (0.0, 60.0), (0.0, 0.0)),  # a third of the way round the globe
    ],
)
def test_two_members_meet_at_the_midpoint(a, b, midpoint) -> None:
    half = float(distances_km(*a, [b[0]], [b[1]])[0]) / 2
    for centre in (geometric_median(*columns([a, b])), minimax_centre(*columns([a, b]))):
        assert centre.within_hemisphere
        assert apart_km(centre, *a) == pytest.approx(half, abs=1e-6)
        assert apart_km(centre, *b) == pytest.approx(half, abs=1e-6)
        assert centre.max_km == pytest.approx(half, abs=1e-6)
        if midpoint is not None:
            assert apart_km(centre, *midpoint) < 1e-9


def test_two_unequal_members_meet_at_the_heavier() -> None:
    centre = geometric_median([51.5074, 48.8566], [-0.1278, 2.3522], [3, 2])
    assert (centre.latitude, centre.longitude) == (51.5074, -0.1278)


def test_balanced_members_on_one_great_circle_meet_at_the_fairest_optimum() -> None:
    # On the equator at 0, 10 and 30 degrees with weights 1, 1, 2: every point from 10 to 30 is
    # optimal (total 50 degrees); 15 is the one whose longest journey (15 degrees) is shortest.
    centre = geometric_median([0.0, 0.0, 0.0], [0.0, 10.0, 30.0], [1, 1, 2])
    degree = EARTH_RADIUS_KM * math.pi / 180
    assert centre.total_km == pytest.approx(50 * degree, abs=1e-6)
    assert (centre.latitude, centre.longitude) == pytest.approx((0.0, 15.0), abs=1e-9)
    assert centre.max_km == pytest.approx(15 * degree, abs=1e-6)
    # Optimal from 10 to 12, but the middle of the span (25) is not: the nearest end of the arc.
    centre = geometric_median([0.0] * 4, [0.0, 10.0, 12.0, 50.0])
    assert (centre.latitude, centre.longitude) == (0.0, 12.0)
    assert centre.total_km == pytest.approx(52 * degree, abs=1e-6)
    # Over the pole, weighted: every point from 80N/0E to 85N/180E is optimal (85 degrees).
    centre = geometric_median([70.0, 80.0, 85.0, 70.0], [0.0, 0.0, 180.0, 180.0], [1, 2, 1, 2])
    assert apart_km(centre, 90.0, 0.0) < 1e-9  # the middle of the span, 70N/0E to 70N/180E
    assert centre.total_km == pytest.approx(85 * degree, abs=1e-6)


def test_a_majority_weight_pins_the_optimum_to_its_member() -> None:
    lat, lon = columns(EUROPE)
    centre = geometric_median(lat, lon, [5, 1, 1, 1, 1])  # Lisbon outweighs all the others
    assert (centre.latitude, centre.longitude) == EUROPE[0]
    assert centre.total_km == pytest.approx(distances_km(*EUROPE[0], lat, lon).sum(), abs=1e-6)


def test_a_descent_started_on_a_member_that_is_not_optimal_moves_off_it() -> None:
    # The Vardi-Zhang step: at a member whose weight does not outweigh the others' pull.
    lat, lon = columns(UK)
    w = np.ones(len(UK))
    points = _vectors(lat, lon)
    for start in range(len(UK)):
        _, _, cost = _weiszfeld(points, w, points[:, start])
        assert cost * EARTH_RADIUS_KM == pytest.approx(
            geometric_median(lat, lon).total_km, abs=0.01
        )


def test_members_all_in_one_place() -> None:
    centre = geometric_median([45.0], [7.0])
    assert (centre.latitude, centre.longitude, centre.total_km, centre.max_km) == (45, 7, 0, 0)
    # Plain floats, as for any other centre, not numpy scalars: JSON encoders refuse those.
    assert type(centre.latitude) is float and type(centre.longitude) is float
    centre = minimax_centre([45.0, 45.0, 45.0], [187.0, 187.0, 187.0])
    assert (centre.latitude, centre.longitude, centre.total_km) == (45, -173, 0)
    centre = geometric_median([90.0, 90.0], [0.0, 120.0])  # the pole, however written
    assert centre.latitude == 90 and centre.total_km < 1e-9


@pytest.mark.parametrize(
    "group",
    [
        [(0, 0), (0, 90), (0, 180), (0, -90), (90, 0), (-90, 0)],  # +-x, +-y, +-z
        [(0, 0), (0, 120), (0, -120)],  # round the equator
        [(0, 0), (0, 90), (0, 180)],  # a closed hemisphere only: on its rim
        [(10, 0), (10, 120), (10, -120), (-30, 60), (-30, 180), (-30, -60)],  # off the equator
        [(40, 30), (-40, -150)],  # antipodes
    ],
)
def test_members_in_no_open_hemisphere_are_flagged(group) -> None:
    total, fair = geometric_median(*columns(group)), minimax_centre(*columns(group))
    assert not total.within_hemisphere and not fair.within_hemisphere
    assert (fair.latitude, fair.longitude) == (total.latitude, total.longitude)
    assert math.isfinite(total.latitude) and -180 <= total.longitude < 180
    assert fair.max_km >= EARTH_RADIUS_KM * math.pi / 2 - 1e-6  # no one-quarter-globe centre


def test_members_just_inside_a_hemisphere_are_not_flagged() -> None:
    group = [(0.5, 0), (0.5, 120), (0.5, -120)]
    centre = minimax_centre(*columns(group))
    assert centre.within_hemisphere
    assert centre.latitude == pytest.approx(90)
    assert centre.max_km == pytest.approx(EARTH_RADIUS_KM * math.radians(89.5), abs=1e-6)
    assert geometric_median(*columns(group)).within_hemisphere


# --- distances, ranking, preselection ----------------------------------------------------------


def test_distances_agree_with_geopy_and_stay_accurate_at_the_extremes() -> None:
    lat, lon = columns(PACIFIC + UK)
    got = distances_km(51.5074, -0.1278, lat, lon)
    expected = [
        great_circle((51.5074, -0.1278), p, radius=EARTH_RADIUS_KM).km for p in PACIFIC + UK
    ]
    assert got == pytest.approx(expected, abs=1e-6)
    assert distances_km(10, 20, [-10], [-160])[0] == pytest.approx(EARTH_RADIUS_KM * math.pi)
    tiny = distances_km(10, 20, [10 + 1e-9], [20])[0]  # 0.11 mm north
    assert tiny == pytest.approx(EARTH_RADIUS_KM * math.radians(1e-9), rel=1e-6)


def test_a_distance_matrix_holds_the_distances_from_each_origin() -> None:
    origins = [(51.5074, -0.1278), (10.0, 20.0), (-21.3, 157.9), (10.0 + 1e-9, 20.0)]
    lat, lon = columns(PACIFIC + UK + [(-10.0, -160.0), (10.0, 20.0)])
    matrix = distance_matrix_km(*columns(origins), lat, lon)
    assert matrix.shape == (len(origins), len(lat))
    for row, (olat, olon) in zip(matrix, origins, strict=True):
        assert row == pytest.approx(distances_km(olat, olon, lat, lon), abs=1e-6)
    assert matrix[1, -2] == pytest.approx(EARTH_RADIUS_KM * math.pi)  # antipodes
    assert matrix[3, -1] == pytest.approx(EARTH_RADIUS_KM * math.radians(1e-9), rel=1e-6)  # 0.11 mm


def python_ranking(members, weights, places, strategy):
    rows = []
    for index, (plat, plon) in enumerate(places):
        journeys = [great_circle((plat, plon), m, radius=EARTH_RADIUS_KM).km for m in members]
        total = sum(w * d for w, d in zip(weights, journeys, strict=True))
        rows.append((total, max(journeys), index))
    key = (lambda r: (r[0], r[1], r[2])) if strategy == "total" else (lambda r: (r[1], r[0], r[2]))
    return [r[2] for r in sorted(rows, key=key)], [r[0] for r in rows], [r[1] for r in rows]


@pytest.mark.parametrize("strategy", ["total", "fair"])
@pytest.mark.parametrize("seed", range(4))
def test_rank_places_orders_like_a_plain_python_ranking(strategy, seed) -> None:
    rng = np.random.default_rng(seed)
    members = random_group(seed, n=int(rng.integers(1, 9)), radius_deg=30)
    places = random_group(seed + 100, n=int(rng.integers(1, 25)), radius_deg=40)
    weights = rng.integers(1, 4, len(members)).tolist()
    ranking = rank_places(*columns(members), weights, *columns(places), strategy)
    order, total, longest = python_ranking(members, weights, places, strategy)
    assert ranking.order.tolist() == order
    assert ranking.total_km == pytest.approx(total, abs=1e-6)
    assert ranking.max_km == pytest.approx(longest, abs=1e-6)


def test_rank_places_breaks_ties_by_the_other_objective_then_by_index() -> None:
    members = ([0.0, 0.0], [-10.0, 10.0])  # on the equator, 20 degrees apart
    # Places 0 and 1 tie on total (anywhere between them does); 1 is fairer; 2 and 3 repeat 1.
    places = ([0.0, 0.0, 0.0, 0.0], [-8.0, 0.0, 0.0, 0.0])
    ranking = rank_places(*members, None, *places, "total")
    assert ranking.order.tolist() == [1, 2, 3, 0]
    ranking = rank_places(*members, None, [0.0, 5.0, -5.0], [0.0, 0.0, 0.0], "fair")
    assert ranking.order.tolist() == [0, 1, 2]  # 1 and 2 mirror each other: index decides


def test_rank_places_gives_the_same_answer_in_small_chunks(monkeypatch) -> None:
    members, places = random_group(7, n=40, radius_deg=50), random_group(8, n=30, radius_deg=50)
    whole = rank_places(*columns(members), None, *columns(places), "fair")
    # two places per chunk
    monkeypatch.setattr("rendezvous.geo.meeting_point.sphere._CHUNK_CELLS", 100)
    chunked = rank_places(*columns(members), None, *columns(places), "fair")
    assert chunked.order.tolist() == whole.order.tolist()
    assert chunked.total_km == pytest.approx(whole.total_km, rel=1e-12)
    assert np.array_equal(chunked.max_km, whole.max_km)


def test_nearest_indices_are_the_nearest_places_nearest_first() -> None:
    places = random_group(9, n=200, radius_deg=60)
    lat, lon = columns(places)
    distances = distances_km(52.0, 179.5, lat, lon)
    for k in (1, 5, 200, 500):
        got = nearest_indices(52.0, 179.5, lat, lon, k)
        assert got.tolist() == np.argsort(distances, kind="stable")[:k].tolist()


def test_nearest_indices_break_ties_by_index_and_work_across_the_antimeridian() -> None:
    lat, lon = [0.0] * 5, [5.0, -1.0, 1.0, -1.0, 0.5]  # 1, 2 and 3 are equally near (0, 0)
    assert nearest_indices(0.0, 0.0, lat, lon, 3).tolist() == [4, 1, 2]
    assert nearest_indices(0.0, 0.0, lat, lon, 4).tolist() == [4, 1, 2, 3]
    lon = [170.0, -179.8, 178.0]
    assert nearest_indices(0.0, 179.5, [0.0] * 3, lon, 3).tolist() == [1, 2, 0]


@pytest.mark.parametrize(
    "call",
    [
        lambda: geometric_median([], []),
        lambda: geometric_median([1.0, 2.0], [1.0]),
        lambda: geometric_median([[1.0]], [[1.0]]),
        lambda: geometric_median([91.0], [0.0]),
        lambda: minimax_centre([float("nan")], [0.0]),
        lambda: geometric_median([1.0, 2.0], [1.0, 2.0], [1.0]),
        lambda: geometric_median([1.0, 2.0], [1.0, 2.0], [1.0, 0.0]),
        lambda: rank_places([1.0], [1.0], None, [], [], "total"),
        lambda: rank_places([1.0], [1.0], None, [1.0], [1.0], "nearest"),  # type: ignore[arg-type]
        lambda: nearest_indices(0.0, 0.0, [1.0], [1.0], 0),
        lambda: distances_km(100.0, 0.0, [1.0], [1.0]),
        lambda: distance_matrix_km([0.0], [0.0], [], []),
    ],
)
def test_bad_input_is_a_value_error(call) -> None:
    with pytest.raises(ValueError):
        call()
