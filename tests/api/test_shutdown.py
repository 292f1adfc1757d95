"""SIGTERM drains the requests in flight, then the process closes its pool and exits."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.api.test_crash import MEMBERS, _seed, answers, restarted
from tests.server import fresh_database, serve_argv, started

pytestmark = pytest.mark.slow


def test_sigterm_drains_requests_in_flight(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        env = {"RENDEZVOUS_DATABASE_URL": url}
        limits = httpx.Limits(max_connections=MEMBERS + 5)
        with started(serve_argv(), tmp_path, env) as (base, process):

            async def burst() -> tuple[dict[str, str], int, dict[int, str]]:
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
                    owner, event_id, members = await _seed(client)
                    ids = [(await client.get("/me", headers=h)).json()["id"] for h in members]
                outcomes: dict[int, str] = {}
                # new connections, so that none is an idle keep-alive one the shutdown closes
                async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

                    async def answer(user_id: int, headers: dict[str, str]) -> None:
                        try:
                            response = await client.put(
                                f"/events/{event_id}/rsvp", json={"status": "yes"}, headers=headers
                            )
                        except httpx.TransportError as exc:
                            outcomes[user_id] = type(exc).__name__
                            return
                        if not outcomes:  # the first answer: the others are in flight
                            os.kill(process.pid, signal.SIGTERM)
                        outcomes[user_id] = str(response.status_code)

                    await asyncio.gather(*(answer(i, h) for i, h in zip(ids, members, strict=True)))
                return owner, event_id, outcomes

            owner, event_id, outcomes = asyncio.run(burst())
            # uvicorn re-raises the signal once it has shut down cleanly
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        log = next(tmp_path.glob("server-*.log")).read_text()
        assert "Application shutdown complete" in log  # the lifespan closed the pool

        with restarted(tmp_path, env) as client:
            listed = answers(client, event_id, owner)
    answered = {user_id for user_id, outcome in outcomes.items() if outcome == "200"}
    # Whatever the server took in, it finished and answered: nothing stored went
    # unanswered. What came after the listener closed was refused, and stored nothing.
    assert {row["user_id"] for row in listed} == answered
    assert len(answered) >= 2 and set(outcomes.values()) - {"200"} <= {
        "ConnectError",
        "ReadError",
        "RemoteProtocolError",
    }
