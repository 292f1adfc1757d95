"""A served process whose PostgreSQL goes away and comes back: 503s with a clear detail
(never a 500, never a hang), /health says so, and service resumes by itself."""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.server import fresh_database, serving
from tests.tcp_proxy import tcp_proxy

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ["RENDEZVOUS_DATABASE_URL"].startswith("sqlite"),
        reason="a SQLite file cannot go away; this runs in the PostgreSQL pass",
    ),
]


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def test_the_database_goes_away_and_comes_back(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        parts = urlsplit(url)
        with tcp_proxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
            env = {"RENDEZVOUS_DATABASE_URL": through(url, proxy.port)}
            with serving(tmp_path, workers=2, env=env) as base:
                client = httpx.Client(base_url=base, timeout=20)
                token = client.post("/users", json={"name": "Ann"}).json()["token"]
                auth = {"Authorization": f"Bearer {token}"}
                group = client.post("/groups", json={"name": "Forum"}, headers=auth)
                assert group.status_code == 201

                proxy.cut()
                for request in (
                    lambda: client.get("/me", headers=auth),
                    lambda: client.get(f"/groups/{group.json()['id']}", headers=auth),
                    lambda: client.post("/groups", json={"name": "Lost"}, headers=auth),
                    lambda: client.post("/users", json={"name": "Bea"}),
                ):
                    started = time.monotonic()
                    response = request()
                    assert time.monotonic() - started < 10  # an answer, not a hang
                    assert response.status_code == 503, response.text
                    assert "database" in response.json()["detail"].lower()
                    assert int(response.headers["retry-after"]) >= 1
                health = client.get("/health")
                assert health.status_code == 503
                assert health.json() == {"status": "unavailable", "database": "unavailable"}

                proxy.restore()
                deadline = time.monotonic() + 15
                while client.get("/health").status_code != 200:
                    assert time.monotonic() < deadline, "did not recover"
                    time.sleep(0.2)
                for _ in range(6):  # every worker is back, without a restart
                    assert client.get("/me", headers=auth).status_code == 200
                groups = client.get("/groups", headers=auth).json()["items"]
                assert [g["name"] for g in groups] == ["Forum"]  # the refused write left nothing
                client.close()
        log = next(tmp_path.glob("server-*.log")).read_text()
        assert '"status": 500' not in log
