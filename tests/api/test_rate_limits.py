"""Rate limits on a served process: writes and geocoding per token (or address), 429
with Retry-After, in memory per worker or shared by every worker through Redis."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis

from tests.helpers import sign_up
from tests.server import serving

REDIS_URL = "redis://127.0.0.1:6379/15"  # a database of its own, emptied by the test
LIMITS = {
    "RENDEZVOUS_RATE_LIMIT_WRITES": "5",
    "RENDEZVOUS_RATE_LIMIT_GEOCODING": "3",
    "RENDEZVOUS_RATE_LIMIT_SIGNUPS": "4",
}


def assert_limited(response: httpx.Response, limit: int, per: str = "a minute") -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 429 and f"at most {limit} {per}" in body["detail"]
    window = 3600 if per == "an hour" else 60
    assert 1 <= int(response.headers["retry-after"]) <= window
    assert response.headers["ratelimit-remaining"] == "0"


@pytest.mark.slow
def test_writes_and_geocoding_are_limited_per_token(tmp_path: Path) -> None:
    with serving(tmp_path, env=LIMITS) as base, httpx.Client(base_url=base, timeout=10) as client:
        ann, bea = (
            sign_up(client, "Ann").headers,
            sign_up(client, "Bea").headers,
        )  # 2 writes from this address
        for i in range(5):
            response = client.patch("/me", json={"name": f"Ann {i}"}, headers=ann)
            assert response.status_code == 200
            assert response.headers["ratelimit-remaining"] == str(4 - i)
        assert_limited(client.patch("/me", json={"name": "Ann 6"}, headers=ann), 5)
        assert client.get("/me", headers=ann).json()["name"] == "Ann 4"  # refused: unchanged
        # reads are not limited, and another token has its own count
        for _ in range(10):
            assert client.get("/me", headers=ann).status_code == 200
        assert client.patch("/me", json={"name": "Bea 1"}, headers=bea).status_code == 200
        # sign-ups carry no token: they count against the address, an hour at a time
        # (2 made above)
        for name in ("Cy", "Di"):
            sign_up(client, name)
        assert_limited(client.post("/users", json={"name": "Flo"}), 4, "an hour")
        # geocoding lookups, per token
        for _ in range(3):
            assert client.get("/geocode", params={"q": "Leeds"}, headers=bea).status_code == 200
        assert_limited(client.get("/geocode", params={"q": "York"}, headers=bea), 3)


@pytest.mark.slow
def test_with_redis_every_worker_shares_the_counts(tmp_path: Path) -> None:
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.flushdb()
    except redis.ConnectionError as exc:  # pragma: no cover - the machine runs Redis
        pytest.fail(f"Redis is not running at {REDIS_URL}: {exc}")
    env = {**LIMITS, "RENDEZVOUS_REDIS_URL": REDIS_URL}
    with serving(tmp_path, workers=2, env=env) as base:
        with httpx.Client(base_url=base, timeout=10) as client:
            ann = sign_up(client, "Ann").headers
        statuses = []
        for i in range(8):  # a new connection each time: both workers answer
            with httpx.Client(base_url=base, timeout=10) as client:
                response = client.patch("/me", json={"name": f"Ann {i}"}, headers=ann)
                statuses.append(response.status_code)
        assert statuses == [200] * 5 + [429] * 3
    assert any(key.startswith(b"rendezvous") for key in store.scan_iter())
    store.flushdb()


@pytest.mark.slow
def test_requests_go_through_when_redis_is_unreachable(tmp_path: Path) -> None:
    env = {**LIMITS, "RENDEZVOUS_REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens
    with serving(tmp_path, env=env) as base, httpx.Client(base_url=base, timeout=10) as client:
        ann = sign_up(client, "Ann").headers
        for i in range(7):
            assert client.patch("/me", json={"name": f"Ann {i}"}, headers=ann).status_code == 200
    assert (
        "rate limits are off while Redis is unreachable"
        in next(tmp_path.glob("server-*.log")).read_text()
    )
