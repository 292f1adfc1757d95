"""Request ids and structured request logs, free of secrets and coordinates."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import Api
from tests.server import serving


async def test_every_response_carries_a_request_id(api: Api) -> None:
    person = await api.signup("Ann")
    responses = [
        await api.get("/me", person),
        await api.get("/me"),  # 401
        await api.get("/no/such/path"),  # no route at all
        await api.get("/feeds/rzf_unknown.ics"),
    ]
    ids = [response.headers["x-request-id"] for response in responses]
    assert [r.status_code for r in responses] == [200, 401, 404, 404]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)

    # a caller's (or a proxy's) own id is kept when it looks like one, replaced otherwise
    kept = await api.get("/me", person, headers={"X-Request-ID": "edge-7f3a.1_b"})
    assert kept.headers["x-request-id"] == "edge-7f3a.1_b"
    for bad in ("has spaces", "x" * 65, "", "semi;colon"):
        replaced = await api.get("/me", person, headers={"X-Request-ID": bad})
        assert (
            replaced.headers["x-request-id"] != bad and len(replaced.headers["x-request-id"]) == 32
        )


async def test_one_line_per_request_with_the_route_not_the_path(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    person = await api.signup("Ann")
    secret_url = (await api.get("/me/feed", person)).json()["url"]
    path = secret_url.removeprefix("http://rendezvous.test")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="rendezvous.request"):
        response = await api.get(path, headers={"X-Request-ID": "trace-1"})
        await api.get("/no/such/path?token=secret")
    lines = [r for r in caplog.records if r.name == "rendezvous.request"]
    assert [line.fields for line in lines] == [  # type: ignore[attr-defined]
        {
            "request_id": "trace-1",
            "method": "GET",
            "path": "/feeds/{feed_file}",
            "status": response.status_code,
            "duration_ms": lines[0].fields["duration_ms"],  # type: ignore[attr-defined]
        },
        {
            "request_id": lines[1].fields["request_id"],  # type: ignore[attr-defined]
            "method": "GET",
            "path": "(no route)",
            "status": 404,
            "duration_ms": lines[1].fields["duration_ms"],  # type: ignore[attr-defined]
        },
    ]
    assert all(line.fields["duration_ms"] >= 0 for line in lines)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_served_processes_logs_are_json_and_hold_no_secrets(tmp_path: Path) -> None:
    with serving(tmp_path, workers=2) as base, httpx.Client(base_url=base, timeout=10) as client:
        signup = client.post("/users", json={"name": "Ann", "region": "Leeds, UK"}).json()
        token = signup["token"]
        auth = {"Authorization": f"Bearer {token}"}
        group_id = client.post("/groups", json={"name": "Forum"}, headers=auth).json()["id"]
        code = client.post(f"/groups/{group_id}/invites", json={}, headers=auth).json()["code"]
        friend = client.post("/users", json={"name": "Bea", "region": "York, UK"}).json()
        friend_auth = {"Authorization": f"Bearer {friend['token']}"}
        assert client.post(f"/invites/{code}/accept", headers=friend_auth).status_code == 201
        feed_url = client.get("/me/feed", headers=auth).json()["url"]
        feed_secret = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
        assert client.get(f"/feeds/{feed_secret}.ics").status_code == 200
        client.get(f"/groups/{group_id}/venue-suggestions", headers=auth)
        client.get("/me", headers={"Authorization": "Bearer rdv_wrong-token"})
        trace = client.get("/me", headers={**auth, "X-Request-ID": "trace-42"})
        assert trace.headers["x-request-id"] == "trace-42"
    text = (next(tmp_path.glob("server-*.log"))).read_text()

    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines() if line]
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    requests = [line for line in lines if line["logger"] == "rendezvous.request"]
    assert len(requests) >= 10
    assert {
        (line["method"], line["path"], line["status"])
        for line in requests
        if line["request_id"] == "trace-42"
    } == {("GET", "/me", 200)}
    paths = {line["path"] for line in requests}
    assert {"/invites/{code}/accept", "/feeds/{feed_file}", "/me/feed"} <= paths
    # nothing secret or private: tokens, the invite code, the feed secret, coordinates
    for secret in (token, friend["token"], code, feed_secret, "rdv_wrong-token"):
        assert secret not in text
    # Times and durations may hold these digits by chance ("22:48:53.950"): left out.
    described = json.dumps(
        [{k: v for k, v in line.items() if k not in ("ts", "duration_ms")} for line in lines]
    )
    for coordinate in ("53.79", "-1.54", "53.95", "-1.08"):  # Leeds and York
        assert coordinate not in described
