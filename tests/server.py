"""Run `rendezvous` as a real process, the way users and CI run it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Env = dict[str, str | None]


def environment(changes: Env | None) -> dict[str, str]:
    """This process's environment with `changes` applied; None unsets a variable."""
    env = dict(os.environ)
    for name, value in (changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def rendezvous(
    *args: str, cwd: Path, env: Env | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed command line to completion."""
    return subprocess.run(
        [sys.executable, "-m", "rendezvous", *args],
        cwd=cwd,
        env=environment(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def started(
    argv: list[str], cwd: Path, env: Env | None = None, ready: str = "/health"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server process on a free port (`{port}` in argv) until the block ends; yields its
    base URL, once GET `ready` answers 200, and the process. SIGTERM at the end, as a
    supervisor would."""

    port = free_port()
    log = (cwd / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [arg.replace("{port}", str(port)) for arg in argv],
        cwd=cwd,
        env=environment(env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{Path(log.name).read_text()}")
            try:
                if httpx.get(f"{base}{ready}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not become ready:\n{Path(log.name).read_text()}")
            time.sleep(0.1)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def running(
    argv: list[str], cwd: Path, env: Env | None = None, ready: str = "/health"
) -> Iterator[str]:
    """Like `started`, yielding only the base URL."""
    with started(argv, cwd, env, ready) as (base, _):
        yield base


def serve_argv(workers: int = 1) -> list[str]:
    """`rendezvous serve` on the port `started` picks."""
    return [
        sys.executable,
        "-m",
        "rendezvous",
        "serve",
        "--port",
        "{port}",
        "--workers",
        str(workers),
    ]


def serving(cwd: Path, workers: int = 1, env: Env | None = None) -> AbstractContextManager[str]:
    """`rendezvous serve` on a free port until the block ends; yields its base URL."""
    return running(serve_argv(workers), cwd, env)


@contextmanager
def throwaway_postgres(server_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the PostgreSQL server at `server_url`,
    dropped when the block ends."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on the engine under test, dropped afterwards."""
    url = os.environ["RENDEZVOUS_DATABASE_URL"]
    if url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/fresh.sqlite"
        return
    with throwaway_postgres(url, "rendezvous_fresh") as fresh:
        yield fresh
