"""Shared benchmark plumbing: servers, databases, seeding over HTTP, and wrk."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))  # the repository root: reuse the tests' server runner

from tests.server import running, throwaway_postgres  # noqa: E402

DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def ensure_wrk() -> str:
    """wrk from Debian's packages; installed on first use (this needs root)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk (apt-get install wrk) ...", file=sys.stderr)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or "wrk"


def rendezvous_server(database_url: str, workers: int, cwd: Path) -> AbstractContextManager[str]:
    argv = [sys.executable, "-m", "rendezvous", "serve", "--port", "{port}"]
    env = {
        "RENDEZVOUS_DATABASE_URL": database_url,
        "RENDEZVOUS_LOG_LEVEL": "warning",
        # the benchmarks measure throughput, which the per-token limits would cap
        "RENDEZVOUS_RATE_LIMIT_WRITES": "0",
        "RENDEZVOUS_RATE_LIMIT_GEOCODING": "0",
        "RENDEZVOUS_RATE_LIMIT_SIGNUPS": "0",
    }
    return running([*argv, "--workers", str(workers)], cwd, env)


def bare_server(
    workers: int, cwd: Path, database_url: str | None = None
) -> AbstractContextManager[str]:
    """bench/bare_app.py; with `database_url` (a database the app has migrated) it also
    serves GET /bare/query, the one-query yardstick."""
    argv = [
        sys.executable, "-m", "uvicorn", "bare_app:create_app", "--factory",
        "--port", "{port}", "--workers", str(workers), "--log-level", "warning",
        "--no-access-log", "--app-dir", str(BENCH_DIR),
    ]  # fmt: skip
    return running(argv, cwd, {"BARE_DATABASE_URL": database_url}, ready="/bare")


@contextmanager
def database(engine: str, pg_server: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database URL for one benchmark run."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir}/bench-{uuid.uuid4().hex[:8]}.sqlite"
        return
    with throwaway_postgres(pg_server, "rendezvous_bench") as url:
        yield url


def engines(names: str, pg_server: str) -> Iterator[str]:
    """The engines named (comma-separated) that can run here: PostgreSQL only if its
    server answers."""
    for engine in names.split(","):
        if engine == "postgres" and not postgres_reachable(pg_server):
            print(f"PostgreSQL not reachable at {pg_server}: skipped", file=sys.stderr)
            continue
        yield engine


def postgres_reachable(pg_server: str) -> bool:
    import asyncpg

    async def probe() -> None:
        connection = await asyncpg.connect(pg_server, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except Exception:
        return False
    return True


@dataclass
class Result:
    label: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx responses and socket errors
    # CPU time the hypervisor gave other machines while this ran (both cores, /proc/stat
    # "steal"): wrk, the workers and the database all stall with it, and it shows in p99.
    steal_ms: float = 0.0

    @property
    def tail(self) -> float:
        """p99 / p50: how far the slowest 1 % lag behind the typical request."""
        return self.p99_ms / self.p50_ms if self.p50_ms else 0.0


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"cannot read wrk latency {text!r}")
    return float(match[1]) * _UNIT[match[2]]


def wrk(
    label: str,
    url: str,
    script: Path | None,
    connections: int,
    seconds: int,
    threads: int = 2,
) -> Result:
    argv = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script is not None:
        argv += ["-s", str(script)]
    stolen = _steal_ms()
    out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
    stolen = _steal_ms() - stolen
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)[1])  # type: ignore[index]
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        errors += int(match[1])
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    return Result(label, rps, p50, p99, errors, stolen)


def _steal_ms() -> float:
    """The machine's stolen CPU time so far, in ms (0 where /proc/stat has no such field)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        return float(fields[8]) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


@dataclass
class Yardstick:
    """An endpoint of bench/bare_app.py to measure by turns with the one under test."""

    label: str
    url: str
    script: Path | None = None


def beside(
    label: str,
    url: str,
    script: Path | None,
    yardsticks: list[Yardstick],
    connections: int,
    seconds: int,
    rounds: int,
    threads: int = 2,
) -> tuple[Result, list[Result]]:
    """An endpoint and its yardsticks, measured by turns (each yardstick, the endpoint,
    each yardstick, ...) for `seconds` each in all, each figure the median of its rounds.

    On a shared machine the throughput drifts by tens of per cent over a minute: measured
    in turns, all see the same drift, and their ratios hold still.
    """
    each = max(2, seconds // rounds)
    measured: list[list[Result]] = [[] for _ in yardsticks]
    results = []
    for _ in range(rounds):
        for stick, taken in zip(yardsticks, measured, strict=True):
            taken.append(wrk(stick.label, stick.url, stick.script, connections, each, threads))
        results.append(wrk(label, url, script, connections, each, threads))
    return _median(results), [_median(r) for r in measured]


def beside_bare(
    label: str,
    url: str,
    script: Path | None,
    bare_url: str,
    bare_script: Path | None,
    connections: int,
    seconds: int,
    rounds: int,
) -> tuple[Result, Result]:
    """An endpoint and the bare one (GET or PUT /bare), by turns as `beside`."""
    bare_label = f"bare {label.split()[0]} /bare"
    result, (bare,) = beside(
        label,
        url,
        script,
        [Yardstick(bare_label, bare_url, bare_script)],
        connections,
        seconds,
        rounds,
    )
    return result, bare


def _median(results: list[Result]) -> Result:
    """Each figure's median over the rounds: a round that another machine's load stalled
    (see `steal_ms`) moves none of them."""
    return Result(
        results[0].label,
        statistics.median(r.requests_per_s for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.errors for r in results),
        statistics.median(r.steal_ms for r in results),
    )


# An invite admits at most 1,000 people.
INVITE_MAX_USES = 1000


async def seed_group(client: httpx.AsyncClient, regions: list[str | None]) -> tuple[int, list[str]]:
    """A group of len(regions) people over HTTP: the first creates it, the others sign up
    (with regions[i] as their region, if not None) and join through invites. Returns the
    group's id and everyone's token, the owner's first."""

    async def signup(i: int) -> str:
        body = {"name": f"M{i}"}
        region = regions[i]
        if region is not None:
            body["region"] = region
        response = await client.post("/users", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    owner = await signup(0)
    auth = {"Authorization": f"Bearer {owner}"}
    group = (await client.post("/groups", json={"name": "Bench"}, headers=auth)).json()["id"]
    codes = [
        (
            await client.post(
                f"/groups/{group}/invites", json={"max_uses": INVITE_MAX_USES}, headers=auth
            )
        ).json()["code"]
        for _ in range(0, len(regions), INVITE_MAX_USES)
    ]
    semaphore = asyncio.Semaphore(16)

    async def member(i: int) -> str:
        async with semaphore:
            token = await signup(i)
            accepted = await client.post(
                f"/invites/{codes[i // INVITE_MAX_USES]}/accept",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert accepted.status_code == 201, accepted.text
            return token

    members = await asyncio.gather(*(member(i) for i in range(1, len(regions))))
    return int(group), [owner, *members]


def lua_script(
    workdir: Path, method: str, paths: list[str], tokens: list[str], bodies: list[str]
) -> Path:
    """A wrk script sending `method` to a random path with a random token and body."""
    script = workdir / f"wrk-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(
        f"""
local paths = {{{", ".join(json.dumps(p) for p in paths)}}}
local tokens = {{{", ".join(json.dumps(t) for t in tokens)}}}
local bodies = {{{", ".join(json.dumps(b) for b in bodies)}}}
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  local headers = {{}}
  headers["Content-Type"] = "application/json"
  if #tokens > 0 then
    headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  end
  local body = nil
  if #bodies > 0 then body = bodies[math.random(#bodies)] end
  return wrk.format("{method}", paths[math.random(#paths)], headers, body)
end
"""
    )
    return script


def print_table(
    title: str,
    rows: list[tuple[str, Result, Result]] | list[tuple[str, Result, list[Result]]],
    tail: bool = False,
) -> None:
    """Each row: an endpoint's result beside the bare endpoint's from the same setting, or
    beside a list of yardsticks, the bare endpoint's first. With `tail`, a p99/p50 column."""
    print(f"\n{title}")
    extra = ("p99/p50", "steal ms") if tail else ()
    columns = ("req/s", "p50 ms", "p99 ms", *extra, "errors", "x bare")
    header = f"{'setting':<26} {'endpoint':<24} " + " ".join(f"{c:>8}" for c in columns)
    print(header)
    print("-" * len(header))
    for setting, result, beside_it in rows:
        yardsticks = beside_it if isinstance(beside_it, list) else [beside_it]
        bare = yardsticks[0]
        for r in (*yardsticks, result):
            ratio = r.requests_per_s / bare.requests_per_s if bare.requests_per_s else 0.0
            ratio_of_tail = f"{r.tail:>8.1f} {r.steal_ms:>8.0f} " if tail else ""
            print(
                f"{setting:<26} {r.label:<24} {r.requests_per_s:>8.0f} {r.p50_ms:>8.2f} "
                f"{r.p99_ms:>8.2f} {ratio_of_tail}{r.errors:>8} {ratio:>8.2f}"
            )


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="rendezvous-bench-"))


def wait_until_listening(port: int, process: Any, what: str, within_s: float = 30) -> None:
    """Until something accepts connections on 127.0.0.1:`port`; RuntimeError if `process`
    (a multiprocessing.Process) dies first or `within_s` passes."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or not process.is_alive():
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)
