"""RSVP write throughput and latency against `rendezvous serve`, beside a bare Litestar
JSON endpoint served the same way in the same run.

    python bench/rsvp.py [--seconds 10] [--connections 64] [--workers 1,2]
                         [--engines sqlite,postgres] [--pg-server postgresql://...]

Each request is PUT /events/{id}/rsvp from one of 200 members (random yes/maybe/no) to an
event with 100 seats, so seats are taken, freed and the waitlist promoted all the time.
Two loads: "spread" sends each answer to one of 20 events (a service with many meetups),
"hot" sends every answer to a single event, whose row lock then serialises them all.
Targets (issue 3): PostgreSQL >= 0.15 x bare with p99 < 50 ms; SQLite with zero 5xx.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_PG_SERVER,
    Result,
    bare_server,
    beside_bare,
    database,
    engines,
    lua_script,
    print_table,
    rendezvous_server,
    seed_group,
    workdir,
)

MEMBERS = 200
CAPACITY = 100
SPREAD_EVENTS = 20
BODIES = [json.dumps({"status": s, "guests": 0}) for s in ("yes", "yes", "maybe", "no")]


async def seed(base: str, events: int) -> tuple[list[int], list[str]]:
    """A group of MEMBERS friends and events with CAPACITY seats each; returns (events, tokens)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        group, tokens = await seed_group(client, [None] * (MEMBERS + 1))
        auth = {"Authorization": f"Bearer {tokens[0]}"}
        created = [
            await client.post(
                f"/groups/{group}/events",
                json={
                    "title": f"Bench {i}",
                    "timezone": "Europe/London",
                    "capacity": CAPACITY,
                    "time_options": [
                        {"start": "2030-06-01T12:00:00Z", "end": "2030-06-01T17:00:00Z"}
                    ],
                },
                headers=auth,
            )
            for i in range(events)
        ]
        return [int(event.json()["id"]) for event in created], tokens[1:]


def check_seats(base: str, event_id: int, token: str) -> None:
    event = httpx.get(
        f"{base}/events/{event_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    ).json()
    seated = event["rsvp_counts"]["yes"] + event["rsvp_counts"]["guests"]
    assert seated <= CAPACITY, f"overbooked: {seated} seated for {CAPACITY} seats"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="turns with the bare endpoint")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()

    work = workdir()
    rows: list[tuple[str, Result, Result]] = []
    for engine in engines(args.engines, args.pg_server):
        for workers in (int(w) for w in args.workers.split(",")):
            setting = f"{engine}, {workers} worker(s)"
            bare_script = lua_script(work, "PUT", ["/bare"], [], BODIES)
            for load, events in (("spread", SPREAD_EVENTS), ("hot", 1)):
                with (
                    bare_server(workers, work) as bare_base,
                    database(engine, args.pg_server, work) as url,
                    rendezvous_server(url, workers, work) as base,
                ):
                    event_ids, tokens = asyncio.run(seed(base, events))
                    paths = [f"/events/{event_id}/rsvp" for event_id in event_ids]
                    script = lua_script(work, "PUT", paths, tokens, BODIES)
                    result, bare = beside_bare(
                        f"PUT rsvp ({load})",
                        base + paths[0],
                        script,
                        bare_base + "/bare",
                        bare_script,
                        args.connections,
                        args.seconds,
                        args.rounds,
                    )
                    for event_id in event_ids:
                        check_seats(base, event_id, tokens[0])
                rows.append((setting, result, bare))
                print(f"done: {setting}, {load}", file=sys.stderr)

    print_table(
        f"RSVP writes: {args.connections} connections, {args.seconds} s each in {args.rounds} "
        "turns with the bare endpoint (medians), wrk -t2 on the same 2-core machine "
        "(errors = non-2xx + socket errors)",
        rows,
    )
    for setting, result, bare in rows:
        ratio = result.requests_per_s / bare.requests_per_s
        if setting.startswith("postgres"):
            ok = ratio >= 0.15 and result.p99_ms < 50
            verdict = f">= 0.15 x bare and p99 < 50 ms: {'met' if ok else 'NOT met'}"
        else:
            verdict = f"zero 5xx: {'met' if result.errors == 0 else 'NOT met'}"
        print(f"{setting:<26} {result.label:<20} target {verdict}")


if __name__ == "__main__":
    main()
