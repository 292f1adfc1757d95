"""SIGKILL in the middle of a burst of RSVPs: after a restart every acknowledged answer
is there, the seats stay within capacity and the waitlist is 1..n."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import Api, propose
from tests.server import Env, fresh_database, serve_argv, started

pytestmark = pytest.mark.slow

MEMBERS = 40
CAPACITY = 10
KILL_AFTER = 12  # acknowledged answers before the kill


async def _seed(client: httpx.AsyncClient) -> tuple[dict[str, str], int, list[dict[str, str]]]:
    api = Api(client)
    owner = await api.signup("Olive")
    group_id = await api.group(owner, "Crash")
    members = [await api.signup(f"M{i}") for i in range(MEMBERS)]
    await api.join(group_id, owner, *members)
    event = await propose(api, group_id, owner, title="Crash", capacity=CAPACITY)
    return owner.headers, event["id"], [member.headers for member in members]


async def _burst(
    client: httpx.AsyncClient, event_id: int, members: list[dict[str, str]], pid: int
) -> dict[str, dict[str, Any]]:
    """Every member answers yes at once; the server is killed after KILL_AFTER answers.
    Returns the acknowledged answers by the member's token header."""
    acknowledged: dict[str, dict[str, Any]] = {}

    async def answer(headers: dict[str, str]) -> None:
        try:
            response = await client.put(
                f"/events/{event_id}/rsvp", json={"status": "yes"}, headers=headers
            )
        except httpx.TransportError:
            return  # cut off by the kill: not acknowledged
        assert response.status_code == 200, response.text
        acknowledged[headers["Authorization"]] = response.json()
        if len(acknowledged) == KILL_AFTER:
            os.kill(pid, signal.SIGKILL)

    await asyncio.gather(*(answer(headers) for headers in members))
    return acknowledged


@contextmanager
def restarted(tmp_path: Path, env: Env) -> Iterator[httpx.Client]:
    """A client on a new server process over the same database."""
    with (
        started(serve_argv(), tmp_path, env) as (base, _),
        httpx.Client(base_url=base, timeout=30) as client,
    ):
        yield client


def answers(client: httpx.Client, event_id: int, owner: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"/events/{event_id}/rsvps", params={"limit": 200}, headers=owner)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_acknowledged_rsvps_survive_a_sigkill(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        env = {"RENDEZVOUS_DATABASE_URL": url}
        limits = httpx.Limits(max_connections=MEMBERS + 5)
        with started(serve_argv(), tmp_path, env) as (base, process):

            async def before_the_kill() -> tuple[Any, ...]:
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
                    owner, event_id, members = await _seed(client)
                    acked = await _burst(client, event_id, members, process.pid)
                    return owner, event_id, acked

            owner, event_id, acknowledged = asyncio.run(before_the_kill())
            assert process.wait(timeout=10) == -signal.SIGKILL
        # the kill cut the burst short: some answers were never acknowledged
        assert KILL_AFTER <= len(acknowledged) < MEMBERS

        with restarted(tmp_path, env) as client:
            listed = answers(client, event_id, owner)
            me = {
                headers: client.get("/me", headers={"Authorization": headers}).json()["id"]
                for headers in acknowledged
            }
            counts = client.get(f"/events/{event_id}", headers=owner).json()["rsvp_counts"]

    stored = {row["user_id"]: row for row in listed}
    for headers, reply in acknowledged.items():
        row = stored[me[headers]]  # nothing acknowledged is lost...
        assert (row["status"], row["waitlisted"]) == ("yes", reply["waitlisted"])  # ...or moved
    seated = [row for row in listed if not row["waitlisted"]]
    waiting = [row for row in listed if row["waitlisted"]]
    assert len(seated) <= CAPACITY
    assert not waiting or len(seated) == CAPACITY  # nobody waits while a seat is free
    assert [row["waitlist_position"] for row in waiting] == list(range(1, len(waiting) + 1))
    assert (counts["yes"], counts["waitlisted"]) == (len(seated), len(waiting))
