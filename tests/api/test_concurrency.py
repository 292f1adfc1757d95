"""Concurrent writes against a real `rendezvous serve` with two worker processes:
exact results, and never a 5xx (no "database is locked", no serialization failure)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.helpers import Api
from tests.server import serving

pytestmark = pytest.mark.slow


async def _race(base: str) -> None:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        api = Api(client)

        owner = (await api.signup("Olive")).headers
        group_id = (await client.post("/groups", json={"name": "Race"}, headers=owner)).json()["id"]
        code = (
            await client.post(f"/groups/{group_id}/invites", json={"max_uses": 10}, headers=owner)
        ).json()["code"]

        people = [
            p.headers for p in await asyncio.gather(*(api.signup(f"P{i}") for i in range(30)))
        ]
        accepted = await asyncio.gather(
            *(client.post(f"/invites/{code}/accept", headers=person) for person in people)
        )
        statuses = sorted(r.status_code for r in accepted)
        assert statuses == [201] * 10 + [410] * 20, [
            r.text for r in accepted if r.status_code >= 500
        ]
        group = (await client.get(f"/groups/{group_id}", headers=owner)).json()
        assert group["member_count"] == 11

        # 300 assorted writes at once, each a read-then-write on the server
        def writes(i: int, person: dict[str, str]) -> list[object]:
            return [
                client.post("/groups", json={"name": f"G{i}"}, headers=person),
                client.patch("/me", json={"name": f"Renamed {i}"}, headers=person),
                client.post("/me/tokens", json={"name": f"t{i}"}, headers=person),
                client.post(f"/groups/{group_id}/invites", json={}, headers=owner),
                client.post(f"/invites/{code}/accept", headers=person),
                client.patch(f"/groups/{group_id}", json={"description": f"d{i}"}, headers=owner),
                client.post("/users", json={"name": f"New {i}"}),
                client.get(f"/groups/{group_id}", headers=owner),
                client.get("/groups", headers=person),
                client.get("/me", headers=person),
            ]

        requests = [request for i, person in enumerate(people) for request in writes(i, person)]
        responses = await asyncio.gather(*requests)  # type: ignore[call-overload]
        server_errors = [r.text for r in responses if r.status_code >= 500]
        assert server_errors == []
        assert all(r.status_code < 400 or r.status_code == 410 for r in responses)
        for person in people:
            assert (await client.get("/me/tokens", headers=person)).json()["total"] == 2


def test_concurrent_writes_with_two_workers(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as base:
        asyncio.run(_race(base))
