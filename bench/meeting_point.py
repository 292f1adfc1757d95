"""Meeting-point maths: solve times for large groups and the cost of ranking places.

    python bench/meeting_point.py [--members 10000] [--repeats 7] [--seed 1]

Members are scattered uniformly over a cap around Honolulu (so every group crosses the
antimeridian): a region of 30 degrees radius (one convex basin, one descent), a near-hemisphere
of 80 degrees (screened multi-start descent) and the whole globe (no hemisphere: flagged).
Each figure is the median of the repeats, with the fastest in brackets.
Targets (issue): under 50 ms per strategy for 10,000 members; rank_places for 2,000 members x
300 places reported alongside.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import numpy as np

from rendezvous.geo.meeting_point import (
    geometric_median,
    minimax_centre,
    nearest_indices,
    rank_places,
)

HONOLULU = (21.3069, -157.8583)


def scatter(rng: np.random.Generator, n: int, radius_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform over the cap of radius_deg around Honolulu, as latitudes and longitudes."""
    lat0, lon0 = (math.radians(v) for v in HONOLULU)
    centre = np.array([math.cos(lat0) * math.cos(lon0), math.cos(lat0) * math.sin(lon0),
                       math.sin(lat0)])  # fmt: skip
    east = np.cross([0.0, 0.0, 1.0], centre)
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    r = np.arccos(1 - rng.uniform(0, 1, n) * (1 - math.cos(math.radians(radius_deg))))
    b = rng.uniform(0, 2 * math.pi, n)
    points = np.outer(np.cos(r), centre)
    points += np.sin(r)[:, None] * (np.outer(np.cos(b), east) + np.outer(np.sin(b), north))
    latitudes = np.degrees(np.arcsin(np.clip(points[:, 2], -1, 1)))
    return latitudes, np.degrees(np.arctan2(points[:, 1], points[:, 0]))


def timed(call: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median and fastest wall time in milliseconds (after one warm-up call)."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    print(f"{'solve, ' + str(args.members) + ' members':<40} {'median ms':>10} {'(best)':>9}")
    for label, radius in (("region, 30 deg cap", 30.0), ("near-hemisphere, 80 deg cap", 80.0),
                          ("whole globe (flagged)", 180.0)):  # fmt: skip
        lat, lon = scatter(rng, args.members, radius)
        weights = rng.integers(1, 4, args.members).astype(float)
        for strategy, solve in (
            ("total", lambda: geometric_median(lat, lon, weights)),  # noqa: B023
            ("fair", lambda: minimax_centre(lat, lon)),  # noqa: B023
        ):
            median, best = timed(solve, args.repeats)
            print(f"  {strategy:<6} {label:<31} {median:>10.1f} {best:>8.1f}")

    members, places = 2000, 300
    lat, lon = scatter(rng, members, 30.0)
    weights = rng.integers(1, 4, members).astype(float)
    place_lat, place_lon = scatter(rng, places, 10.0)
    print(f"\n{f'rank_places, {members} members x {places} places':<40}")
    for strategy in ("total", "fair"):
        median, best = timed(
            lambda: rank_places(lat, lon, weights, place_lat, place_lon, strategy),  # noqa: B023
            args.repeats,
        )
        print(f"  {strategy:<38} {median:>10.1f} {best:>8.1f}")

    towns = 50_000
    town_lat, town_lon = scatter(rng, towns, 90.0)
    median, best = timed(
        lambda: nearest_indices(HONOLULU[0], HONOLULU[1], town_lat, town_lon, 300), args.repeats
    )
    print(f"\n{f'nearest_indices, 300 of {towns} places':<40} {median:>10.1f} {best:>8.1f}")


if __name__ == "__main__":
    main()
