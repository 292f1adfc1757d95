"""Joint polls' plans through HTTP: GET /events/{id}/plan for a proposal of 20 time options
and 20 place options in a group of 500 members, beside GET /me and a bare Litestar endpoint
measured by turns in the same run.

    python bench/plan.py [--quick] [--seconds 10] [--rounds 3] [--connections 4]
                         [--members 500] [--options 20] [--places 20] [--cold-rounds 100]
                         [--engines sqlite,postgres] [--pg-server postgresql://...]
                         [--wrk-threads 1]

Members live in towns drawn at random from the gazetteer's towns, half in Britain and half
elsewhere in Europe; the place options are 20 other towns of the same lands, given with
their coordinates. Every member votes on every time option (yes with a chance of 2 in 5,
else maybe or no) and says yes or maybe to a few places. Everything is seeded over HTTP,
as members would: 500 sign-ups take seconds.

A plan is measured two ways, each strategy separately. "Warm": repeated GETs with nothing
changed, which the worker answers from its cache (WorkerCaches.venue_answers), at a few
connections (latency rather than saturation), by turns with GET /bare (bench/bare_app.py)
and GET /me on the same server (random members' tokens on both). "Cold": a member's new
votes, then one timed GET, which computes the plan again and must differ from the one
before; one request at a time, another member each round, so that each round's sets of
yes voters are new and the worker knows none of their centres (WorkerCaches.plan_centres).
Two kinds: a whole ballot (yes on every date: the dates the member had not said yes to,
about three in five, change) and one vote (one date changes). Targets (joint polls): warm
p50 and p99 within 3 x GET /me's from the same turns; cold p50 and p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_PG_SERVER,
    Result,
    Yardstick,
    bare_server,
    beside,
    database,
    engines,
    lua_script,
    print_table,
    rendezvous_server,
    seed_group,
    workdir,
)

from rendezvous.geo.gazetteer import Gazetteer
from rendezvous.geo.suggestions import MIN_TOWN_POPULATION

BRITAIN = {"GB"}
EUROPE = {"IE", "FR", "DE", "NL", "BE", "ES", "PT", "IT", "AT", "CH", "DK", "PL", "CZ"}
STRATEGIES = ("fair", "total")
WARM_TARGET = 3.0  # x GET /me, p50 and p99
COLD_TARGET_MS = 50.0
SEED_CONCURRENCY = 16  # as seed_group


def towns(countries: set[str]) -> list[tuple[str, float, float]]:
    """(`name, CC`, latitude, longitude) of the gazetteer's towns in `countries`."""
    found = Gazetteer.load().towns(MIN_TOWN_POPULATION)
    return [
        (f"{name}, {country}", float(lat), float(lon))
        for name, country, lat, lon in zip(
            found.names, found.country_codes, found.latitudes, found.longitudes, strict=True
        )
        if country in countries
    ]


def homes(count: int, rng: random.Random) -> list[str]:
    """Half in Britain, half elsewhere in Europe."""
    british, european = towns(BRITAIN), towns(EUROPE)
    half = count // 2
    picked = rng.choices(british, k=half) + rng.choices(european, k=count - half)
    rng.shuffle(picked)
    return [name for name, _, _ in picked]


@dataclass
class Seeded:
    event_id: int
    owner: str  # token
    tokens: list[str]  # everyone's
    option_ids: list[int]
    seconds: float


async def seed(base: str, members: int, options: int, places: int) -> Seeded:
    """A group of `members`, a proposal with `options` time options and `places` place
    options, and everyone's votes."""
    started = time.monotonic()
    rng = random.Random(members)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        group, tokens = await seed_group(client, list(homes(members, rng)))
        owner = {"Authorization": f"Bearer {tokens[0]}"}
        first = datetime(2027, 3, 6, 10, tzinfo=UTC)
        spots = rng.sample(towns(BRITAIN), places // 2) + rng.sample(
            towns(EUROPE), places - places // 2
        )
        body = {
            "title": "Bench poll",
            "timezone": "Europe/London",
            "time_options": [
                {
                    "start": (first + timedelta(days=7 * i)).isoformat(),
                    "end": (first + timedelta(days=7 * i, hours=6)).isoformat(),
                }
                for i in range(options)
            ],
            "place_options": [
                {"name": name, "latitude": lat, "longitude": lon} for name, lat, lon in spots
            ],
        }
        created = await client.post(f"/groups/{group}/events", json=body, headers=owner)
        assert created.status_code == 201, created.text
        event = created.json()
        option_ids = [option["id"] for option in event["time_options"]]
        place_ids = [place["id"] for place in event["place_options"]]
        assert (len(option_ids), len(place_ids)) == (options, places), event
        semaphore = asyncio.Semaphore(SEED_CONCURRENCY)

        async def vote(token: str, votes: dict[int, str], place_votes: dict[int, str]) -> None:
            async with semaphore:
                response = await client.put(
                    f"/events/{event['id']}/votes",
                    json={"votes": votes, "place_votes": place_votes},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text

        ballots = []
        for _ in tokens:
            votes = {
                option: rng.choices(("yes", "maybe", "no"), weights=(2, 1, 2))[0]
                for option in option_ids
            }
            liked = rng.sample(place_ids, rng.randint(1, 4))
            ballots.append((votes, {place: rng.choice(("yes", "maybe")) for place in liked}))
        await asyncio.gather(
            *(vote(token, v, p) for token, (v, p) in zip(tokens, ballots, strict=True))
        )
    return Seeded(event["id"], tokens[0], tokens, option_ids, time.monotonic() - started)


@dataclass
class Cold:
    label: str
    p50_ms: float
    p99_ms: float
    max_ms: float
    rounds: int


def percentile(samples: list[float], q: int) -> float:
    """The q-th percentile, interpolated ('inclusive', so never beyond the largest)."""
    if len(samples) < 2:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def plan_path(seeded: Seeded, strategy: str) -> str:
    return f"/events/{seeded.event_id}/plan?strategy={strategy}"


def check_plan(answer: dict[str, Any], seeded: Seeded, places: int) -> None:
    options = answer["options"]
    assert [o["option_id"] for o in options] == seeded.option_ids, answer
    assert all(len(o["places"]) == places for o in options), "a place without a rank"
    assert all(o["participants"] >= 3 and o["center"] for o in options), "too few yes voters"


def cold(
    base: str, seeded: Seeded, strategy: str, rounds: int, places: int, whole_ballot: bool
) -> Cold:
    """`rounds` times: a member who has not voted in these rounds yet changes their votes,
    then one timed GET of the plan, which must have changed. With `whole_ballot` they vote
    yes on every date (the dates they had not said yes to, about three in five, get new
    voters and new centres); else they turn one date's vote around (one date's centre).
    Each round's sets of voters are new, so the worker has no centre for them yet."""
    path = plan_path(seeded, strategy)
    owner = {"Authorization": f"Bearer {seeded.owner}"}
    voters = seeded.tokens[1:]
    assert rounds <= len(voters), "one member per round"
    rng = random.Random(f"{strategy}{whole_ballot}")
    samples = []
    with httpx.Client(base_url=base, timeout=60) as client:
        previous = client.get(path, headers=owner)
        assert previous.status_code == 200, previous.text
        check_plan(previous.json(), seeded, places)
        for token in rng.sample(voters, rounds):
            member = {"Authorization": f"Bearer {token}"}
            mine = client.get(f"/events/{seeded.event_id}/votes", headers=member).json()["votes"]
            if whole_ballot:
                votes = dict.fromkeys(map(str, seeded.option_ids), "yes")
                if mine == votes:
                    votes = dict.fromkeys(votes, "no")
            else:
                date = str(rng.choice(seeded.option_ids))
                votes = {**mine, date: "no" if mine.get(date) == "yes" else "yes"}
            voted = client.put(
                f"/events/{seeded.event_id}/votes", json={"votes": votes}, headers=member
            )
            assert voted.status_code == 200, voted.text
            started = time.perf_counter()
            response = client.get(path, headers=owner)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
            assert response.content != previous.content, "a vote did not reach the plan"
            previous = response
    what = "whole ballot" if whole_ballot else "one vote"
    return Cold(
        f"{strategy}, cold, {what}",
        statistics.median(samples),
        percentile(samples, 99),
        max(samples),
        rounds,
    )


@dataclass
class Figures:
    engine: str
    seeded: Seeded
    warm: list[tuple[str, Result, list[Result]]]  # (strategy, plan, [bare, GET /me])
    cold: list[Cold]


def measure(
    engine: str, base: str, bare_base: str, seeded: Seeded, args: argparse.Namespace, work: Path
) -> Figures:
    figures = Figures(engine, seeded, [], [])
    tokens = seeded.tokens
    me_script = lua_script(work, "GET", ["/me"], tokens, [])
    for strategy in STRATEGIES:
        for whole_ballot in (True, False):
            figures.cold.append(
                cold(base, seeded, strategy, args.cold_rounds, args.places, whole_ballot)
            )
    for strategy in STRATEGIES:
        path = plan_path(seeded, strategy)
        warmed = httpx.get(
            base + path, headers={"Authorization": f"Bearer {seeded.owner}"}, timeout=60
        )
        assert warmed.status_code == 200, warmed.text
        result, (bare, me) = beside(
            f"{strategy}, warm",
            base + path,
            lua_script(work, "GET", [path], tokens, []),
            [
                Yardstick("bare GET /bare", bare_base + "/bare"),
                Yardstick("GET /me", base + "/me", me_script),
            ],
            args.connections,
            args.seconds,
            args.rounds,
            args.wrk_threads,
        )
        figures.warm.append((strategy, result, [bare, me]))
    return figures


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def report(all_figures: list[Figures], args: argparse.Namespace) -> None:
    print(
        f"\nJoint poll plans: {args.options} time options x {args.places} place options x "
        f"{args.members} members; 1 worker, {args.connections} connections, wrk "
        f"-t{args.wrk_threads}, {args.seconds} s per endpoint in {args.rounds} round(s) by "
        "turns (each figure the median round)"
    )
    for f in all_figures:
        print(f"{f.engine}: seeded over HTTP in {f.seeded.seconds:.0f} s")
    print_table(
        "Warm (answered from the worker's cache), by turns with GET /bare and GET /me",
        [(f"{f.engine}", result, sticks) for f in all_figures for _, result, sticks in f.warm],
        tail=True,
    )
    print(
        f"\nCold: {args.cold_rounds} rounds per strategy and kind of one member's new votes "
        "(another member each round), then one timed GET (one request at a time)"
    )
    header = f"{'engine':<10} {'plan':<28} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for f in all_figures:
        for c in f.cold:
            print(
                f"{f.engine:<10} {c.label:<28} {c.p50_ms:>8.2f} {c.p99_ms:>8.2f} {c.max_ms:>8.2f}"
            )
    print()
    for f in all_figures:
        for strategy, result, (_, me) in f.warm:
            p50 = result.p50_ms / me.p50_ms
            p99 = result.p99_ms / me.p99_ms
            print(
                f"{f.engine:<10} {strategy:<5} warm: p50 {p50:.2f} x and p99 {p99:.2f} x GET /me: "
                f"{verdict(p50 <= WARM_TARGET and p99 <= WARM_TARGET)} (target <= "
                f"{WARM_TARGET:.0f} x)"
            )
        for c in f.cold:
            print(
                f"{f.engine:<10} {c.label:<28}: p50 {c.p50_ms:.1f} ms, p99 "
                f"{c.p99_ms:.1f} ms: {verdict(c.p99_ms < COLD_TARGET_MS)} (target < "
                f"{COLD_TARGET_MS:.0f} ms)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs, fewer rounds")
    parser.add_argument("--seconds", type=int, default=10, help="per warm endpoint, all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--options", type=int, default=20, help="time options (at most 20)")
    parser.add_argument("--places", type=int, default=20, help="place options (at most 20)")
    parser.add_argument("--cold-rounds", type=int, default=100, help="per strategy")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--wrk-threads", type=int, default=1)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.cold_rounds = 3, 1, 20

    work = workdir()
    done = []
    for engine in engines(args.engines, args.pg_server):
        with (
            database(engine, args.pg_server, work) as url,
            rendezvous_server(url, 1, work) as base,
            bare_server(1, work) as bare_base,
        ):
            seeded = asyncio.run(seed(base, args.members, args.options, args.places))
            done.append(measure(engine, base, bare_base, seeded, args, work))
        print(f"done: {engine}", file=sys.stderr)
    report(done, args)


if __name__ == "__main__":
    main()
