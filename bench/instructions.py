"""The CPU work of one request, counted in instructions: repeatable where wall-clock time
on this shared machine is not.

    python bench/instructions.py [--requests 500] [--paths me,group,event]

For each read, the app (SQLite, in-process, no network) answers it N times under
valgrind's callgrind, which counts only while those requests run (the process switches
counting on and off with callgrind_control around them); the count divided by N is what
one request costs, from the ASGI call to the last byte sent. The same is done for a bare
Litestar endpoint as the yardstick. The garbage collector is off while the requests run,
so that a full collection falling inside one run and not another does not move the
figure. valgrind is installed from Debian's packages when missing. Each measurement takes
a minute or two.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


def ensure_valgrind() -> str:
    found = shutil.which("valgrind")
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-q", "valgrind"], check=True)
        found = shutil.which("valgrind") or "valgrind"
    return found


def count(path: str, requests: int) -> int:
    """Instructions callgrind counts while `serve_in_process(path, requests)` answers."""
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "RENDEZVOUS_DATABASE_URL": f"sqlite:///{work}/bench.sqlite"}
        run = subprocess.run(
            [
                ensure_valgrind(),
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={work}/out.%p",
                sys.executable,
                str(HERE),
                "--serve",
                path,
                str(requests),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return sum(int(n) for n in re.findall(r"Collected : (\d+)", run.stderr))


async def serve_in_process(path: str, requests: int) -> None:
    """Seed a group of 20 with an event over the app's own API, then answer `requests`
    GETs of `path` (me, group or event) as one member; or of a bare endpoint."""
    for name in ("WRITES", "GEOCODING", "SIGNUPS"):
        os.environ[f"RENDEZVOUS_RATE_LIMIT_{name}"] = "0"
    os.environ["RENDEZVOUS_LOG_LEVEL"] = "warning"
    import httpx
    from litestar import Litestar, get

    from rendezvous.app import create_app
    from rendezvous.core.db.migrations import migrate

    @get("/bare")
    async def bare() -> dict[str, object]:
        return {"ok": True, "items": [1, 2, 3]}

    if path == "bare":
        app = Litestar([bare], openapi_config=None)
        target, token = "/bare", ""
        async with app.lifespan():
            await _answer(app, target, token, requests)
        return
    await migrate()
    app = create_app()
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            tokens = [
                (await client.post("/users", json={"name": f"M{i}"})).json()["token"]
                for i in range(20)
            ]
            owner = {"Authorization": f"Bearer {tokens[0]}"}
            group = (await client.post("/groups", json={"name": "B"}, headers=owner)).json()
            code = (
                await client.post(
                    f"/groups/{group['id']}/invites", json={"max_uses": 100}, headers=owner
                )
            ).json()["code"]
            for token in tokens[1:]:
                await client.post(
                    f"/invites/{code}/accept", headers={"Authorization": f"Bearer {token}"}
                )
            times = [{"start": "2030-06-01T12:00:00Z", "end": "2030-06-01T17:00:00Z"}]
            body = {"title": "B", "timezone": "UTC", "capacity": 20, "time_options": times}
            event = (
                await client.post(f"/groups/{group['id']}/events", json=body, headers=owner)
            ).json()
        target = {"me": "/me", "group": f"/groups/{group['id']}", "event": f"/events/{event['id']}"}
        await _answer(app, target[path], tokens[3], requests)


async def _answer(app: Any, target: str, token: str, requests: int) -> None:
    """GET `target` as the holder of `token`, straight through the ASGI app."""
    headers = [(b"host", b"bench"), (b"authorization", f"Bearer {token}".encode())]

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("bench", 80),
        "root_path": "",
    }
    for _ in range(50):  # to warm the caches, in every run alike
        await app(dict(scope), receive, send)
    gc.collect()
    gc.disable()
    _counting("on")
    for _ in range(requests):
        await app(dict(scope), receive, send)
    _counting("off")
    gc.enable()


def _counting(state: str) -> None:
    """Switch callgrind's counting for this process on or off (and wait until it has)."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True)


def main() -> None:
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(serve_in_process(sys.argv[2], int(sys.argv[3])))
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--paths", default="me,group,event")
    args = parser.parse_args()
    print(f"instructions per request ({args.requests} requests, SQLite, in-process)")
    for path in ["bare", *args.paths.split(",")]:
        per_request = count(path, args.requests) / args.requests
        label = {"me": "GET /me", "group": "GET /groups/{id}", "event": "GET /events/{id}"}
        print(f"  {label.get(path, 'bare GET /bare'):<20} {per_request:>10,.0f}", flush=True)


if __name__ == "__main__":
    main()
