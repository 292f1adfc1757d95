"""Many members RSVP at once to a real `rendezvous serve` with two workers: the seated
total never exceeds capacity, the waitlist stays 1..n, and nothing fails with a 5xx."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.helpers import Api, propose
from tests.server import serving

pytestmark = pytest.mark.slow

MEMBERS = 45
CAPACITY = 10
DROP_OUTS = 25


async def _race(base: str) -> None:
    limits = httpx.Limits(max_connections=MEMBERS + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        api = Api(client)
        olive = await api.signup("Olive")
        owner = olive.headers
        group_id = await api.group(olive, "Race")
        people = [await api.signup(f"M{i}") for i in range(MEMBERS)]
        await api.join(group_id, olive, *people)
        members = [(person.id, person.headers) for person in people]
        event_id = (await propose(api, group_id, olive, title="Race", capacity=CAPACITY))["id"]

        async def check(expected_waiting: int) -> list[int]:
            listed = (
                await client.get(f"/events/{event_id}/rsvps", params={"limit": 200}, headers=owner)
            ).json()["items"]
            seated = [r for r in listed if r["status"] == "yes" and not r["waitlisted"]]
            waiting = [r for r in listed if r["waitlisted"]]
            assert len(seated) == CAPACITY
            assert [r["waitlist_position"] for r in waiting] == list(range(1, expected_waiting + 1))
            counts = (await client.get(f"/events/{event_id}", headers=owner)).json()["rsvp_counts"]
            assert (counts["yes"], counts["waitlisted"]) == (CAPACITY, expected_waiting)
            return [r["user_id"] for r in seated]

        answers = await asyncio.gather(
            *(
                client.put(f"/events/{event_id}/rsvp", json={"status": "yes"}, headers=h)
                for _, h in members
            )
        )
        assert [r.status_code for r in answers] == [200] * MEMBERS, [
            r.text for r in answers if r.status_code != 200
        ]
        replies = [r.json() for r in answers]
        assert sum(not r["waitlisted"] for r in replies) == CAPACITY
        assert sorted(r["waitlist_position"] for r in replies if r["waitlisted"]) == list(
            range(1, MEMBERS - CAPACITY + 1)
        )
        seated = await check(MEMBERS - CAPACITY)

        # 25 drop out at once: every seated member and 15 of those waiting
        seated_set = set(seated)
        leaving = [m for m in members if m[0] in seated_set]
        leaving += [m for m in members if m[0] not in seated_set][: DROP_OUTS - len(leaving)]
        drops = await asyncio.gather(
            *(client.delete(f"/events/{event_id}/rsvp", headers=h) for _, h in leaving)
        )
        assert [r.status_code for r in drops] == [204] * DROP_OUTS
        await check(MEMBERS - DROP_OUTS - CAPACITY)


def test_forty_five_yes_at_once_then_twenty_five_drop_outs(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as base:
        asyncio.run(_race(base))
