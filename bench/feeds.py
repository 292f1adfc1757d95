"""Calendar-feed latency through HTTP for a member with 500 confirmed events, beside a
simple authenticated read (GET /me) and a bare Litestar endpoint in the same run.

    python bench/feeds.py [--seconds 10] [--connections 4] [--events 500] [--cold-rounds 20]
                          [--workers 1] [--pg-workers 1,2]
                          [--engines sqlite,postgres] [--pg-server postgresql://...]

One member owns three groups (Europe/London, America/New_York, Australia/Sydney) whose
events, with a description and a venue with coordinates, are spread over the next 18
months. Each worker keeps the feed's bytes by fingerprint, so the feed is measured three
ways: "cold", one GET right after a PATCH of an event's title (it renders the calendar);
"warm", repeated GETs of the unchanged feed (token, one query, hashing, cached bytes);
and "304", the same with If-None-Match set to the current ETag. On the way it checks that
warm bytes equal the first response, that a 304 has no body and that a PATCH moves the
ETag. A few connections measure latency rather than saturation. Target: warm p50 within
2 x the simple read's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

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

# (group, time zone, venue, (latitude, longitude)) for the member's three groups.
GROUPS = [
    ("London", "Europe/London", "The Lamb, Lamb's Conduit Street", (51.5226, -0.1197)),
    ("New York", "America/New_York", "Bryant Park Grill, 25 W 40th St", (40.7536, -73.9832)),
    ("Sydney", "Australia/Sydney", "The Glenmore, 96 Cumberland St", (-33.8599, 151.2067)),
]
SPREAD_DAYS = 548  # about 18 months ahead
SEED_CONCURRENCY = 16  # as seed_group


@dataclass
class Seeded:
    token: str  # the member's bearer token
    feed_path: str  # /feeds/<secret>.ics
    event_ids: list[int]
    seconds: float


def event_body(i: int, rng: random.Random) -> tuple[int, dict[str, object]]:
    """The i-th event: which of GROUPS it belongs to, and its POST body."""
    g = i % len(GROUPS)
    name, zone, venue, (lat, lon) = GROUPS[g]
    day = date.today() + timedelta(days=rng.randint(1, SPREAD_DAYS))
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone)).replace(
        hour=rng.choice((18, 19, 19, 20)), minute=rng.choice((0, 30))
    )
    end = start + timedelta(minutes=rng.choice((90, 120, 180)))
    venue_name, address = venue.split(", ")
    return g, {
        "title": f"{name} meetup #{i}",
        "timezone": zone,
        "description": f"Drinks and a chat, {name} edition. Bring a friend; first round on us.",
        "time_options": [{"start": start.isoformat(), "end": end.isoformat()}],
        "venue": {
            "name": venue_name,
            "address": address,
            "latitude": lat + rng.uniform(-0.01, 0.01),
            "longitude": lon + rng.uniform(-0.01, 0.01),
        },
    }


async def seed(base: str, events: int) -> Seeded:
    """The member, their three groups and `events` confirmed events, over HTTP."""
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        first, (token,) = await seed_group(client, [None])
        auth = {"Authorization": f"Bearer {token}"}
        groups = [first]
        for name, *_ in GROUPS[1:]:
            created = await client.post("/groups", json={"name": name}, headers=auth)
            assert created.status_code == 201, created.text
            groups.append(int(created.json()["id"]))
        rng = random.Random(events)
        bodies = [event_body(i, rng) for i in range(events)]
        semaphore = asyncio.Semaphore(SEED_CONCURRENCY)

        async def confirmed_event(g: int, body: dict[str, object]) -> int:
            async with semaphore:
                created = await client.post(f"/groups/{groups[g]}/events", json=body, headers=auth)
                assert created.status_code == 201, created.text
                event_id = int(created.json()["id"])
                confirmed = await client.post(f"/events/{event_id}/confirm", json={}, headers=auth)
                assert confirmed.status_code == 200, confirmed.text
                return event_id

        event_ids = await asyncio.gather(*(confirmed_event(g, body) for g, body in bodies))
        links = await client.get("/me/feed", headers=auth)
        assert links.status_code == 200, links.text
        feed_path = urlsplit(links.json()["url"]).path
    return Seeded(token, feed_path, list(event_ids), time.perf_counter() - started)


@dataclass
class Cold:
    p50_ms: float
    p99_ms: float
    mean_ms: float
    size: int


def get_feed(
    client: httpx.Client, path: str, etag: str | None = None, reconnect: bool = False
) -> httpx.Response:
    """A GET of the feed, conditional with `etag`; `reconnect` closes the connection after
    it, so that successive calls reach every worker rather than the same one."""
    headers = {"If-None-Match": etag} if etag else {}
    if reconnect:
        headers["Connection"] = "close"
    response = client.get(path, headers=headers)
    assert response.status_code == (304 if etag else 200), (response.status_code, response.text)
    assert response.headers.get("etag") and response.headers.get("last-modified")
    return response


def check_current(client: httpx.Client, path: str, expected: httpx.Response, times: int) -> None:
    """`times` GETs, on new connections, give the bytes and ETag of `expected`, and as many
    conditional GETs a 304 without a body."""
    etag = expected.headers["etag"]
    for _ in range(times):
        again = get_feed(client, path, reconnect=True)
        assert again.content == expected.content, "a warm feed differs from the first response"
        assert again.headers["etag"] == etag, "a warm feed has another ETag"
        assert get_feed(client, path, etag, reconnect=True).content == b"", "a 304 has a body"


def cold(base: str, seeded: Seeded, rounds: int, setting: str) -> tuple[Cold, httpx.Response]:
    """`rounds` times: PATCH one event's title, then time one GET of the feed. Returns the
    figures and the last response (the feed as it now is)."""
    auth = {"Authorization": f"Bearer {seeded.token}"}
    with httpx.Client(base_url=base, timeout=60) as client:
        first = get_feed(client, seeded.feed_path)
        events = first.content.count(b"BEGIN:VEVENT")
        assert events == len(seeded.event_ids), f"{events} events in the feed"
        assert first.headers["content-type"].startswith("text/calendar")
        check_current(client, seeded.feed_path, first, times=3)
        latest, samples = first, []
        for r in range(rounds):
            event_id = seeded.event_ids[r * 7 % len(seeded.event_ids)]
            title = {"title": f"Renamed {uuid.uuid4().hex[:8]} in round {r}"}
            patched = client.patch(f"/events/{event_id}", json=title, headers=auth)
            assert patched.status_code == 200, patched.text
            started = time.perf_counter()
            response = get_feed(client, seeded.feed_path)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.headers["etag"] != latest.headers["etag"], "PATCH kept the ETag"
            unfolded = response.content.replace(b"\r\n ", b"")
            assert title["title"].encode() in unfolded, "the new title is not in the feed"
            latest = response
        check_current(client, seeded.feed_path, latest, times=10)  # warms every worker too
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Cold(cuts[49], cuts[98], statistics.fmean(samples), len(latest.content)), latest


def if_none_match_script(workdir: Path, etag: str) -> Path:
    script = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(f'wrk.headers["If-None-Match"] = {json.dumps(etag)}\n')
    return script


@dataclass
class Report:
    setting: str
    bare: Result
    read: Result
    warm: Result
    not_modified: Result
    cold: Cold


def measure(
    setting: str, base: str, bare: Result, seeded: Seeded, args: argparse.Namespace, work: Path
) -> Report:
    figures, current = cold(base, seeded, args.cold_rounds, setting)
    path, etag = seeded.feed_path, current.headers["etag"]

    def load(label: str, script: Path) -> Result:
        return wrk(label, base + path, script, args.connections, args.seconds)

    read_script = lua_script(work, "GET", ["/me"], [seeded.token], [])
    read = wrk("GET /me", base + "/me", read_script, args.connections, args.seconds)
    warm = load("feed, warm", lua_script(work, "GET", [path], [], []))
    not_modified = load("feed, 304", if_none_match_script(work, etag))
    with httpx.Client(base_url=base, timeout=60) as client:
        check_current(client, path, current, times=10)  # nothing changed under load
    return Report(setting, bare, read, warm, not_modified, figures)


def print_report(report: Report, seeded: Seeded) -> None:
    bare = report.bare
    print(f"\n{report.setting}")
    columns = ("req/s", "p50 ms", "p99 ms", "mean ms", "errors", "rps/bare", "p50/bare")
    header = f"{'endpoint':<26} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for r in (bare, report.read, report.warm, report.not_modified):
        print(
            f"{r.label:<26} {r.requests_per_s:>8.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
            f"{'-':>8} {r.errors:>8} {r.requests_per_s / bare.requests_per_s:>8.3f} "
            f"{r.p50_ms / bare.p50_ms:>8.1f}"
        )
    c = report.cold
    label = f"feed, cold ({len(seeded.event_ids)} ev.)"
    print(
        f"{label:<26} {'-':>8} {c.p50_ms:>8.2f} {c.p99_ms:>8.2f} {c.mean_ms:>8.2f} {0:>8} "
        f"{'-':>8} {c.p50_ms / bare.p50_ms:>8.1f}"
    )
    print(f"feed size {c.size:,} bytes; p50 ratios to GET /me:", end=" ")
    read = report.read.p50_ms
    print(
        f"warm {report.warm.p50_ms / read:.2f}, 304 {report.not_modified.p50_ms / read:.2f}, "
        f"cold {c.p50_ms / read:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--cold-rounds", type=int, default=20)
    parser.add_argument("--workers", default="1", help="worker counts on SQLite")
    parser.add_argument("--pg-workers", default="1,2", help="worker counts on PostgreSQL")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()

    work = workdir()
    done: list[tuple[Report, Seeded]] = []
    seeding: dict[str, float] = {}
    for engine in engines(args.engines, args.pg_server):
        counts = args.pg_workers if engine == "postgres" else args.workers
        with database(engine, args.pg_server, work) as url:
            seeded: Seeded | None = None
            for workers in (int(w) for w in counts.split(",")):
                setting = f"{engine}, {workers} worker(s)"
                with bare_server(workers, work) as bare_base:
                    bare = wrk(
                        "bare GET /bare", bare_base + "/bare", None, args.connections, args.seconds
                    )
                with rendezvous_server(url, workers, work) as base:
                    if seeded is None:
                        seeded = asyncio.run(seed(base, args.events))
                        seeding[engine] = seeded.seconds
                    done.append((measure(setting, base, bare, seeded, args, work), seeded))
                print(f"done: {setting}", file=sys.stderr)

    print(
        f"\nCalendar feeds, {args.events} events: {args.connections} connections, "
        f"{args.seconds} s each, wrk -t2 on the same machine; cold = {args.cold_rounds} rounds "
        "of PATCH then one timed GET (its p99 is about the maximum)"
    )
    for engine, seconds in seeding.items():
        print(
            f"{engine}: seeding {args.events} confirmed events over HTTP "
            f"({SEED_CONCURRENCY} at a time, 1 worker) took {seconds:.1f} s"
        )
    for report, seeded in done:
        print_report(report, seeded)
    print()
    for report, _ in done:
        ratio = report.warm.p50_ms / report.read.p50_ms
        print(
            f"{report.setting:<24} warm feed p50 {ratio:.2f} x GET /me: "
            f"{'met' if ratio <= 2 else 'NOT met'} (target <= 2 x)"
        )


if __name__ == "__main__":
    main()
