"""The `rendezvous` command as users run it: from any directory, several at once."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

import rendezvous as rendezvous_package
from tests.server import fresh_database, rendezvous, serving

pytestmark = pytest.mark.slow


def _migration_count() -> int:
    """Migration modules shipped in the package, all apps together."""
    package = Path(rendezvous_package.__file__).parent
    return len([p for p in package.glob("*/piccolo_migrations/*.py") if p.name != "__init__.py"])


def test_commands_work_from_any_directory_with_a_default_sqlite_file(tmp_path: Path) -> None:
    default = {"RENDEZVOUS_DATABASE_URL": None}
    result = rendezvous("migrate", cwd=tmp_path, env=default)
    assert result.returncode == 0, result.stderr
    assert f"{_migration_count()} migration(s) applied" in result.stdout
    assert (tmp_path / "rendezvous.sqlite").exists()
    again = rendezvous("migrate", cwd=tmp_path, env=default)
    assert "0 migration(s) applied" in again.stdout


def test_bad_configuration_is_reported_clearly(tmp_path: Path) -> None:
    for url in ("mysql://x/y", "sqlite://relative.sqlite", "postgresql:///nohost"):
        result = rendezvous("migrate", cwd=tmp_path, env={"RENDEZVOUS_DATABASE_URL": url})
        assert result.returncode == 2, (url, result.stderr)
        assert "RENDEZVOUS_DATABASE_URL" in result.stderr
        assert "Traceback" not in result.stderr
    result = rendezvous("migrate", cwd=tmp_path, env={"RENDEZVOUS_PUBLIC_URL": "ftp://x"})
    assert result.returncode == 2 and "RENDEZVOUS_PUBLIC_URL" in result.stderr


def test_several_processes_migrating_at_once_do_not_race(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        env = {**os.environ, "RENDEZVOUS_DATABASE_URL": url}
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "rendezvous", "migrate"],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = [process.communicate(timeout=120) for process in processes]
        assert [p.returncode for p in processes] == [0] * 4, outputs
        applied = [int(re.search(r"\((\d+) migration", out).group(1)) for out, _ in outputs]  # type: ignore[union-attr]
        assert sorted(applied) == [0, 0, 0, _migration_count()]
        # and the schema works: serve on it with two workers
        with serving(tmp_path, workers=2, env={"RENDEZVOUS_DATABASE_URL": url}) as base:
            signup = httpx.post(f"{base}/users", json={"name": "Ann"}, timeout=10)
            assert signup.status_code == 201
            headers = {"Authorization": f"Bearer {signup.json()['token']}"}
            for _ in range(10):  # spread over both workers
                assert httpx.get(f"{base}/me", headers=headers, timeout=10).status_code == 200
        if url.startswith("postgresql"):  # each worker's pool was sized for two workers
            log = next(tmp_path.glob("server-*.log")).read_text()
            assert "2 worker(s) x up to 10 connections" in log, log


def test_demo_seeds_a_group_and_prints_a_working_tour(tmp_path: Path) -> None:
    env = {"RENDEZVOUS_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite"}
    result = rendezvous("demo", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    tokens = dict(re.findall(r"^export (\w+)=(\S+)$", result.stdout, re.MULTILINE))
    assert set(tokens) == {
        *("ALISON", "BRONWEN", "CATRIONA", "DEBORAH", "EILIDH"),
        *("GEORGINA", "HARRIET", "ISLA", "JESSIE"),
    }
    group_id = int(re.search(r"Seeded group (\d+)", result.stdout).group(1))  # type: ignore[union-attr]
    assert f"/groups/{group_id}" in result.stdout
    assert "curl -s" in result.stdout
    # Every URL is quoted: pasted into a shell, a bare `&` would end the command there.
    tour = [line for line in result.stdout.splitlines() if "curl " in line]
    for line in tour:
        for url in re.findall(r"\S*https?://\S+", line):
            assert url.startswith("'"), line
    fair = shlex.split(next(line for line in tour if "strategy=fair" in line))
    assert fair[-1].endswith("/venue-suggestions?strategy=fair&limit=3"), fair
    with serving(tmp_path, env=env) as base:
        headers = {"Authorization": f"Bearer {tokens['ALISON']}"}
        me = httpx.get(f"{base}/me", headers=headers, timeout=10).json()
        assert me["name"] == "Alison" and me["region"] == "Leeds, UK"
        group = httpx.get(f"{base}/groups/{group_id}", headers=headers, timeout=10).json()
        assert group["member_count"] == 9
        roles = {m["name"]: m["role"] for m in group["members"]}
        assert roles == {
            "Alison": "owner",
            "Bronwen": "admin",
            **dict.fromkeys(("Catriona", "Deborah", "Eilidh", "Georgina"), "member"),
            **dict.fromkeys(("Harriet", "Isla", "Jessie"), "member"),
        }
        # the proposal: votes cast, seats full, Eilidh waiting
        event_id = int(re.search(r"/events/(\d+)", result.stdout).group(1))  # type: ignore[union-attr]
        event = httpx.get(f"{base}/events/{event_id}", headers=headers, timeout=10).json()
        assert event["status"] == "proposed" and len(event["time_options"]) == 3
        assert event["rsvp_counts"] == {"yes": 3, "maybe": 1, "no": 0, "waitlisted": 1, "guests": 3}
        # the tour's steps do what it says
        deborah = {"Authorization": f"Bearer {tokens['DEBORAH']}"}
        answer = httpx.put(
            f"{base}/events/{event_id}/rsvp", json={"status": "yes", "guests": 0}, headers=deborah
        )
        assert answer.status_code == 200
        after = httpx.get(f"{base}/events/{event_id}", headers=headers, timeout=10).json()
        assert (after["rsvp_counts"]["yes"], after["rsvp_counts"]["waitlisted"]) == (4, 0)
        confirmed = httpx.post(f"{base}/events/{event_id}/confirm", headers=headers, timeout=10)
        assert confirmed.json()["status"] == "confirmed"
        assert f"/events/{event_id}/invite.ics" in result.stdout
        invite = httpx.get(f"{base}/events/{event_id}/invite.ics", headers=deborah, timeout=10)
        assert invite.status_code == 200 and b"METHOD:REQUEST" in invite.content
        feed_url = httpx.get(f"{base}/me/feed", headers=deborah, timeout=10).json()["url"]
        feed_path = feed_url.split("/feeds/")[1]
        feed = httpx.get(f"{base}/feeds/{feed_path}", timeout=10)
        assert feed.status_code == 200 and feed.content.count(b"BEGIN:VEVENT") == 1
        renamed = httpx.patch(
            f"{base}/groups/{group_id}", json={"name": "Renamed"}, headers=deborah, timeout=10
        )
        assert renamed.status_code == 403
        _check_joint_poll(base, result.stdout, tokens)


def _tour_body(tour: str, path: str) -> object:
    """The JSON body of the tour's curl to `path`."""
    line = next(line for line in tour.splitlines() if line.startswith("curl ") and path in line)
    words = shlex.split(line)
    return json.loads(words[words.index("-d") + 1])


def _check_joint_poll(base: str, tour: str, tokens: dict[str, str]) -> None:
    """The walk's plan is what the tour's comments say: a different fairest place for the
    Scots' Saturday and for the others'."""
    walk_id = int(re.search(r"event (\d+) 'Walk and supper'", tour).group(1))  # type: ignore[union-attr]
    alison = {"Authorization": f"Bearer {tokens['ALISON']}"}
    walk = httpx.get(f"{base}/events/{walk_id}", headers=alison, timeout=10).json()
    assert walk["status"] == "proposed" and len(walk["time_options"]) == 2
    names = {place["id"]: place["name"] for place in walk["place_options"]}
    assert list(names.values()) == ["Perth", "Stirling", "York", "Birmingham", "Oxford"]
    assert all(place["latitude"] is not None for place in walk["place_options"])

    def best(strategy: str) -> list[tuple[int, str, dict[str, float]]]:
        path = f"/events/{walk_id}/plan?strategy={strategy}"
        assert path in tour
        plan = httpx.get(f"{base}{path}", headers=alison, timeout=10).json()
        assert [o["option_id"] for o in plan["options"]] == [o["id"] for o in walk["time_options"]]
        assert all(o["center"] is not None for o in plan["options"])
        return [
            (o["participants"], names[o["places"][0]["place_option_id"]], o["places"][0])
            for o in plan["options"]
        ]

    (scots, perth, at_perth), (others, birmingham, at_birmingham) = best("fair")
    assert (scots, perth, others, birmingham) == (4, "Perth", 5, "Birmingham")
    assert f"({at_perth['max_km']:.0f} km at most, from Inverness)" in tour
    assert f"({at_birmingham['max_km']:.0f} km at most, from Norwich)" in tour
    (_, perth, _), (_, oxford, at_oxford) = best("total")
    assert (perth, oxford) == ("Perth", "Oxford")
    assert f"({at_oxford['total_km']:.0f} km in all against Birmingham's " in tour
    assert f"Birmingham's {at_birmingham['total_km']:.0f}," in tour
    assert f"Leeds is then {at_oxford['max_km']:.0f} km away" in tour
    # Eilidh's place, as the tour adds it, is fairer still for the Scots
    eilidh = {"Authorization": f"Bearer {tokens['EILIDH']}"}
    body = _tour_body(tour, f"/events/{walk_id}/place-options")
    added = httpx.post(
        f"{base}/events/{walk_id}/place-options", json=body, headers=eilidh, timeout=10
    )
    assert added.status_code == 201, added.text
    names[added.json()["id"]] = added.json()["name"]
    (_, pitlochry, at_pitlochry), (_, birmingham, _) = best("fair")
    assert (pitlochry, birmingham) == ("Pitlochry", "Birmingham")
    assert f"for the Scots ({at_pitlochry['max_km']:.0f} km at most)" in tour
    # Bronwen's place votes leave her Saturday votes as they were
    bronwen = {"Authorization": f"Bearer {tokens['BRONWEN']}"}
    before = httpx.get(f"{base}/events/{walk_id}/votes", headers=bronwen, timeout=10).json()
    body = _tour_body(tour, f"/events/{walk_id}/votes")
    voted = httpx.put(f"{base}/events/{walk_id}/votes", json=body, headers=bronwen, timeout=10)
    assert voted.status_code == 200, voted.text
    assert voted.json()["votes"] == before["votes"] != {}
    assert voted.json()["place_votes"] == body["place_votes"]  # type: ignore[index]
