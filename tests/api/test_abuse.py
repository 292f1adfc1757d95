"""Abuse, as a new user would try it against a fresh server with the default limits: made-up
tokens buy no fresh allowance, the limiter's memory stays bounded, and one member cannot
grow the geocoding cache without bound."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from rendezvous.core import rate_limits
from rendezvous.core.rate_limits import Limits
from rendezvous.geo import queries as geo_queries
from rendezvous.geo.tables import GeocodeCache
from rendezvous.settings import load_settings
from tests.helpers import Api, assert_error
from tests.server import fresh_database, serving

# Unset: every limit at its default.
DEFAULT_LIMITS: dict[str, str | None] = {
    "RENDEZVOUS_RATE_LIMIT_WRITES": None,
    "RENDEZVOUS_RATE_LIMIT_GEOCODING": None,
    "RENDEZVOUS_RATE_LIMIT_SIGNUPS": None,
}


def made_up_token() -> dict[str, str]:
    return {"Authorization": f"Bearer rdv_{secrets.token_urlsafe(32)}"}


@pytest.mark.slow
def test_made_up_tokens_buy_no_fresh_allowance(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        _made_up_tokens_buy_no_fresh_allowance(
            tmp_path, {**DEFAULT_LIMITS, "RENDEZVOUS_DATABASE_URL": url}
        )


def _made_up_tokens_buy_no_fresh_allowance(tmp_path: Path, env: dict[str, str | None]) -> None:
    with (
        serving(tmp_path, env=env) as base,
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        # Sign-ups, each with a different random bearer header: 10 an hour per address.
        statuses = [
            client.post("/users", json={"name": f"N{i}"}, headers=made_up_token()).status_code
            for i in range(13)
        ]
        assert statuses == [201] * 10 + [429] * 3
        refused = client.post("/users", json={"name": "Late"})
        assert refused.status_code == 429 and "at most 10 an hour" in refused.json()["detail"]
        assert 60 < int(refused.headers["retry-after"]) <= 3600

        # Writes with tokens nobody holds count against the address: 120 a minute, then
        # 429 rather than 401.
        writes = [
            client.patch("/me", json={"name": "x"}, headers=made_up_token()).status_code
            for _ in range(125)
        ]
        assert writes == [401] * 120 + [429] * 5

        # ...which takes nothing from a real account's own allowance at that address.
        real = client.post("/users", json={"name": "Real"})
        assert real.status_code == 429  # sign-ups are still spent
    with (
        serving(tmp_path, env=env) as base,  # a new process: new counts in memory
        httpx.Client(base_url=base, timeout=10) as client,
    ):
        token = client.post("/users", json={"name": "Ann"}).json()["token"]
        for _ in range(121):
            client.patch("/me", json={"name": "x"}, headers=made_up_token())
        ann = {"Authorization": f"Bearer {token}"}
        assert client.patch("/me", json={"name": "Ann B"}, headers=ann).status_code == 200
        assert client.get("/me", headers=ann).json()["name"] == "Ann B"


@pytest.fixture
def default_limits(app: Litestar, monkeypatch: pytest.MonkeyPatch) -> Limits:
    """The in-process app with every limit at its default (the suite turns them off)."""
    for name in DEFAULT_LIMITS:
        monkeypatch.delenv(name, raising=False)
    limits = Limits(load_settings())
    monkeypatch.setattr(app.state, "limits", limits)
    return limits


async def test_a_flood_of_made_up_tokens_keeps_the_limiter_small(
    api: Api, default_limits: Limits
) -> None:
    counter = default_limits.counter
    assert isinstance(counter, rate_limits.MemoryCounter)
    clock = [1000.0]
    counter.clock = lambda: clock[0]
    ann = await api.signup("Ann")
    refusals = [
        (await api.patch("/groups/1", headers=made_up_token(), json={"name": "x"})).status_code
        for _ in range(150)  # one address, 150 different tokens
    ]
    assert refusals == [401] * 120 + [429] * 30
    await api.patch("/me", ann, json={"name": "Ann"})
    assert len(counter) == 3  # sign-ups and writes for the address, writes for Ann
    clock[0] += 3601  # every window has ended: the next count sweeps them away
    await api.patch("/me", ann, json={"name": "Ann"})
    assert len(counter) == 1


async def test_the_limits_count_the_checked_account(api: Api, default_limits: Limits) -> None:
    ann, bob = await api.signup("Ann"), await api.signup("Bob")
    for _ in range(120):
        assert (await api.post("/me/tokens", ann, json={"name": "t"})).status_code in (201, 409)
    assert_error(await api.post("/me/tokens", ann, json={"name": "t"}), 429, "at most 120")
    # the same address, another account: its own allowance
    assert (await api.patch("/me", bob, json={"name": "Bob B"})).status_code == 200
    # reads are never limited
    assert (await api.get("/me", ann)).status_code == 200
    # the hottest routes, which check the token in their own statement, count the same way
    response = await api.put("/events/1/rsvp", ann, json={"status": "yes"})
    assert_error(response, 429)


async def test_one_member_cannot_grow_the_geocoding_cache_without_bound(
    api: Api, default_limits: Limits, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await api.signup("Ann")
    before = await GeocodeCache.count()
    answers = [
        (
            await api.get("/geocode", ann, params={"q": f"nowhere {secrets.token_hex(8)}"})
        ).status_code
        for _ in range(35)
    ]
    assert answers == [200] * 30 + [429] * 5
    assert await GeocodeCache.count() - before == 30

    # Expired answers go when the next one is stored, and so do the oldest beyond the cap.
    long_ago = datetime.now(UTC) - timedelta(days=2)
    await GeocodeCache.update({GeocodeCache.created_at: long_ago}).where(
        GeocodeCache.results == geo_queries.NOTHING_FOUND
    )
    monkeypatch.setattr(geo_queries, "MAX_CACHED_QUERIES", 3)
    bob = await api.signup("Bob")
    for place in ("Leeds", "York", "Hull", "Derby", "Bath"):
        assert (await api.get("/geocode", bob, params={"q": place})).status_code == 200
    rows: list[dict[str, Any]] = await GeocodeCache.select(GeocodeCache.query)
    assert sorted(row["query"] for row in rows) == ["bath", "derby", "hull"]
