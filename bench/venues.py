"""Venue-suggestion latency through HTTP for groups of 10, 200 and 2,000 members, beside
a simple authenticated read (GET /me) and a bare Litestar endpoint in the same run.

    python bench/venues.py [--seconds 10] [--connections 4] [--sizes 10,200,2000]
                           [--cold-rounds 10] [--engines sqlite,postgres]
                           [--pg-server postgresql://...]

Members live in towns drawn at random from the gazetteer's European towns, so a group of
2,000 has well over a thousand distinct homes. Each strategy is measured separately.
A few connections measure latency rather than saturation. Each worker keeps its answers
by everything they depend on, so a suggestion is measured two ways: "cold", one GET
right after a member moves (PATCH /me, between two far-off towns), which computes the
answer again and must differ from the one before; and "warm", repeated GETs with nothing
changed. Target (issue 4): a venue suggestion for 2,000 members within 5 x the latency
of the simple read.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_PG_SERVER,
    Result,
    bare_server,
    database,
    engines,
    lua_script,
    rendezvous_server,
    seed_group,
    workdir,
    wrk,
)

from rendezvous.geo.gazetteer import Gazetteer
from rendezvous.geo.suggestions import MIN_TOWN_POPULATION

EUROPE = {"GB", "IE", "FR", "DE", "NL", "BE", "ES", "PT", "IT", "AT", "CH", "DK", "PL", "CZ"}


def regions(count: int, seed: int) -> list[str]:
    towns = Gazetteer.load().towns(MIN_TOWN_POPULATION)
    european = [
        f"{name}, {country}"
        for name, country in zip(towns.names, towns.country_codes, strict=True)
        if country in EUROPE
    ]
    return random.Random(seed).choices(european, k=count)


# Where the moving member goes, in turn: far from every group's centre, so that every
# move changes the answer.
MOVES = ("Reykjavik, Iceland", "Tromso, Norway")


@dataclass
class Seeded:
    group_id: int
    owner: str  # token
    mover: str  # token of the member who moves in the cold rounds


async def seed(base: str, size: int) -> Seeded:
    """A group of `size` members with regions."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        group, tokens = await seed_group(client, list(regions(size, seed=size)))
        return Seeded(group, tokens[0], tokens[-1])


@dataclass
class Cold:
    label: str
    p50_ms: float
    max_ms: float
    mean_ms: float


def cold(base: str, seeded: Seeded, strategy: str, rounds: int, label: str) -> Cold:
    """`rounds` times: one member moves, then one timed GET of the suggestions, which
    must have changed."""
    path = f"/groups/{seeded.group_id}/venue-suggestions?strategy={strategy}&limit=5"
    owner = {"Authorization": f"Bearer {seeded.owner}"}
    mover = {"Authorization": f"Bearer {seeded.mover}"}
    samples = []
    with httpx.Client(base_url=base, timeout=60) as client:
        previous = client.get(path, headers=owner)
        assert previous.status_code == 200, previous.text
        for r in range(rounds):
            moved = client.patch("/me", json={"region": MOVES[r % 2]}, headers=mover)
            assert moved.status_code == 200, moved.text
            started = time.perf_counter()
            response = client.get(path, headers=owner)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            assert response.content != previous.content, "a move did not reach the answer"
            previous = response
    return Cold(label, statistics.median(samples), max(samples), statistics.fmean(samples))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--sizes", default="10,200,2000")
    parser.add_argument("--cold-rounds", type=int, default=10)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()

    work = workdir()
    with bare_server(1, work) as bare_base:
        bare = wrk("bare GET /bare", bare_base + "/bare", None, args.connections, args.seconds)
    table: list[tuple[str, Result | Cold]] = []
    verdicts: list[str] = []
    for engine in engines(args.engines, args.pg_server):
        with (
            database(engine, args.pg_server, work) as url,
            rendezvous_server(url, 1, work) as base,
        ):
            groups = {
                size: asyncio.run(seed(base, size)) for size in map(int, args.sizes.split(","))
            }
            token = next(iter(groups.values())).owner
            read_script = lua_script(work, "GET", ["/me"], [token], [])
            read = wrk("GET /me", base + "/me", read_script, args.connections, args.seconds)
            table.append((engine, read))
            for size, seeded in groups.items():
                for strategy in ("total", "fair"):
                    label = f"{strategy} {size} members"
                    table.append(
                        (engine, cold(base, seeded, strategy, args.cold_rounds, f"{label}, cold"))
                    )
                    path = (
                        f"/groups/{seeded.group_id}/venue-suggestions?strategy={strategy}&limit=5"
                    )
                    script = lua_script(work, "GET", [path], [seeded.owner], [])
                    result = wrk(label, base + path, script, args.connections, args.seconds)
                    table.append((engine, result))
                    if size >= 2000:
                        ratio = result.p50_ms / read.p50_ms
                        verdicts.append(
                            f"{engine:<9} {label:<20} p50 {ratio:.1f} x GET /me: "
                            f"{'met' if ratio <= 5 else 'NOT met'} (target <= 5 x)"
                        )
            print(f"done: {engine}", file=sys.stderr)

    print(
        f"\nVenue suggestions: {args.connections} connections, {args.seconds} s each, 1 worker, "
        f"wrk -t2 on the same 2-core machine; cold = {args.cold_rounds} rounds of a member's "
        "move then one timed GET (the last column: the slowest)"
    )
    header = (
        f"{'engine':<9} {'endpoint':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    print(
        f"{'-':<9} {bare.label:<28} {bare.requests_per_s:>8.0f} {bare.p50_ms:>8.2f} "
        f"{bare.p99_ms:>8.2f} {bare.errors:>7}"
    )
    for engine, result in table:
        if isinstance(result, Cold):
            print(
                f"{engine:<9} {result.label:<28} {'-':>8} {result.p50_ms:>8.2f} "
                f"{result.max_ms:>8.2f} {0:>7}"
            )
        else:
            print(
                f"{engine:<9} {result.label:<28} {result.requests_per_s:>8.0f} "
                f"{result.p50_ms:>8.2f} {result.p99_ms:>8.2f} {result.errors:>7}"
            )
    print()
    for verdict in verdicts:
        print(verdict)


if __name__ == "__main__":
    main()
