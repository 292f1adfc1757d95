"""Authenticated read throughput and latency against `rendezvous serve`, beside a bare
Litestar JSON endpoint served the same way (same workers, same load) in the same run.

    python bench/reads.py [--seconds 10] [--connections 64] [--workers 1,2]
                          [--engines sqlite,postgres] [--pg-server postgresql://...]

A group of 50 members with a confirmed event (3 time options, everyone voted, 30 RSVPs).
Each request is GET /me, GET /groups/{id} or GET /events/{id} with a random member's
token. Target (issue 6): GET /groups/{id} and GET /events/{id} >= 0.35 x bare, p99 reported.
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

MEMBERS = 50
ANSWERS = 30
TARGET = 0.35


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
        with database(engine, args.pg_server, work) as url:
            for workers in (int(w) for w in args.workers.split(",")):
                setting = f"{engine}, {workers} worker(s)"
                with (
                    bare_server(workers, work) as bare_base,
                    rendezvous_server(url, workers, work) as base,
                ):
                    group, event_id, tokens = asyncio.run(seed(base))
                    for path in ("/me", f"/groups/{group}", f"/events/{event_id}"):
                        script = lua_script(work, "GET", [path], tokens, [])
                        label = "GET " + path.replace(str(group), "{id}").replace(
                            str(event_id), "{id}"
                        )
                        result, bare = beside_bare(
                            label,
                            base + path,
                            script,
                            bare_base + "/bare",
                            None,
                            args.connections,
                            args.seconds,
                            args.rounds,
                        )
                        rows.append((setting, result, bare))
                print(f"done: {setting}", file=sys.stderr)

    print_table(
        f"Authenticated reads: {args.connections} connections, {args.seconds} s each in "
        f"{args.rounds} turns with the bare endpoint (medians), wrk -t2 on the same 2-core "
        "machine (errors = non-2xx + socket errors)",
        rows,
    )
    for setting, result, bare in rows:
        if result.label == "GET /me":
            continue
        ratio = result.requests_per_s / bare.requests_per_s
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(
            f"{setting:<26} {result.label:<20} {ratio:.2f} x bare, p99 {result.p99_ms:.1f} ms: "
            f"target >= {TARGET} x {verdict}"
        )


if __name__ == "__main__":
    main()
