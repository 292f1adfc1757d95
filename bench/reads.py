"""Authenticated read throughput and latency against `rendezvous serve`, beside two
yardsticks served the same way (same workers, same load) in the same run: a bare Litestar
JSON endpoint (GET /bare) and a minimal one-query Litestar endpoint on the same database
(GET /bare/query: the bearer token's user, one indexed query).

    python bench/reads.py [--seconds 10] [--rounds 3] [--connections 64] [--workers 1,2]
                          [--engines sqlite,postgres] [--pg-server postgresql://...]
                          [--wrk-threads 1]

A group of 50 members with a confirmed event (3 time options, everyone voted, 30 RSVPs).
Each request is GET /me, GET /groups/{id} or GET /events/{id} with a random member's
token. Targets: GET /groups/{id} and GET /events/{id} >= 0.35 x bare (issue 6); for all
three, p99 <= 4 x p50, or no worse than the one-query endpoint's p99 measured by turns
with it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

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

MEMBERS = 50
ANSWERS = 30
TARGET = 0.35  # x the bare endpoint's req/s, for the group and event reads
TAIL_TARGET = 4.0  # p99 / p50, unless the one-query endpoint's p99 is no better
# One wrk thread: a second one takes turns with the workers for the cores, and every
# request it holds while it waits is counted slower, which inflates every p99 here.
WRK_THREADS = 1


async def seed(base: str) -> tuple[int, int, list[str]]:
    """The group, its event and everyone's token (the owner's first)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        group, tokens = await seed_group(client, [None] * MEMBERS)
        auth = [{"Authorization": f"Bearer {token}"} for token in tokens]
        options = [
            {"start": f"2030-06-0{day}T12:00:00Z", "end": f"2030-06-0{day}T17:00:00Z"}
            for day in (1, 2, 3)
        ]
        event = await client.post(
            f"/groups/{group}/events",
            json={"title": "Bench", "timezone": "UTC", "capacity": 20, "time_options": options},
            headers=auth[0],
        )
        event_id = event.json()["id"]
        option_ids = [option["id"] for option in event.json()["time_options"]]
        for i, headers in enumerate(auth):
            votes = {str(option_ids[i % 3]): "yes", str(option_ids[(i + 1) % 3]): "maybe"}
            await client.put(f"/events/{event_id}/votes", json={"votes": votes}, headers=headers)
        await client.post(f"/events/{event_id}/confirm", json={}, headers=auth[0])
        for i, headers in enumerate(auth[:ANSWERS]):
            status = ("yes", "yes", "maybe", "no")[i % 4]
            await client.put(f"/events/{event_id}/rsvp", json={"status": status}, headers=headers)
        return group, event_id, tokens


def tail_verdict(result: Result, query: Result) -> str:
    """Met when p99 <= TAIL_TARGET x p50, or when the one-query endpoint measured by turns
    with it had a p99 at least as long: a tail that any endpoint reading the database has
    on this machine."""
    met = result.p99_ms <= TAIL_TARGET * result.p50_ms or result.p99_ms <= query.p99_ms
    return (
        f"p99 {result.p99_ms:.1f} ms = {result.tail:.1f} x p50 (one-query endpoint: "
        f"{query.p99_ms:.1f} ms = {query.tail:.1f} x): target <= {TAIL_TARGET:.0f} x p50 "
        f"or <= the one-query p99 {'met' if met else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="turns with the yardsticks")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument(
        "--wrk-threads", type=int, default=WRK_THREADS, help="wrk's -t (see bench/README.md)"
    )
    args = parser.parse_args()

    work = workdir()
    rows: list[tuple[str, Result, list[Result]]] = []
    for engine in engines(args.engines, args.pg_server):
        with database(engine, args.pg_server, work) as url:
            for workers in (int(w) for w in args.workers.split(",")):
                setting = f"{engine}, {workers} worker(s)"
                # the app first: it creates the tables that the one-query endpoint reads
                with (
                    rendezvous_server(url, workers, work) as base,
                    bare_server(workers, work, url) as bare_base,
                ):
                    group, event_id, tokens = asyncio.run(seed(base))
                    yardsticks = [
                        Yardstick("bare GET /bare", bare_base + "/bare"),
                        Yardstick(
                            "bare GET /bare/query",
                            bare_base + "/bare/query",
                            lua_script(work, "GET", ["/bare/query"], tokens, []),
                        ),
                    ]
                    for path in ("/me", f"/groups/{group}", f"/events/{event_id}"):
                        script = lua_script(work, "GET", [path], tokens, [])
                        label = "GET " + path.replace(str(group), "{id}").replace(
                            str(event_id), "{id}"
                        )
                        result, measured = beside(
                            label,
                            base + path,
                            script,
                            yardsticks,
                            args.connections,
                            args.seconds,
                            args.rounds,
                            args.wrk_threads,
                        )
                        rows.append((setting, result, measured))
                print(f"done: {setting}", file=sys.stderr)

    print_table(
        f"Authenticated reads: {args.connections} connections, {args.seconds} s each in "
        f"{args.rounds} turns with the bare and the one-query endpoint (medians by req/s), "
        f"wrk -t{args.wrk_threads} on the same 2-core machine (errors = non-2xx + socket "
        "errors)",
        rows,
        tail=True,
    )
    print("\nThroughput")
    for setting, result, (bare, _) in rows:
        if result.label == "GET /me":
            continue
        ratio = result.requests_per_s / bare.requests_per_s
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(
            f"{setting:<26} {result.label:<20} {ratio:.2f} x bare, p99 {result.p99_ms:.1f} ms: "
            f"target >= {TARGET} x {verdict}"
        )
    print("\nTail latency")
    for setting, result, (_, query) in rows:
        print(f"{setting:<26} {result.label:<20} {tail_verdict(result, query)}")


if __name__ == "__main__":
    main()
