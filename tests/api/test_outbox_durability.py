"""The outbox against real processes and a real SMTP server (and a chat server): a mail
server that is down for a while, a process killed between commit and send, and two
workers sharing one outbox. Nothing acknowledged is lost, and nothing is sent twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.helpers import sign_up
from tests.mailbox import Mailbox
from tests.server import (
    environment,
    free_port,
    fresh_database,
    rendezvous,
    serve_argv,
    started,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    with fresh_database(tmp_path) as url:
        yield url


@contextmanager
def down_mailbox() -> Iterator[Mailbox]:
    """A mail server that is down until the test starts it."""
    box = Mailbox()
    try:
        yield box
    finally:
        box.stop()


def test_mail_waits_out_a_mail_server_outage_and_arrives_once(
    tmp_path: Path, database: str
) -> None:
    with down_mailbox() as box:
        env = {"RENDEZVOUS_DATABASE_URL": database, "RENDEZVOUS_MAIL_URL": box.url}
        with started(serve_argv(), tmp_path, env) as (base, _):
            with httpx.Client(base_url=base) as client:
                sign_up(client, "Ann", email="ann@example.org")  # acknowledged: 201
            log = next(tmp_path.glob("server-*.log"))
            deadline = time.monotonic() + 10
            while "attempt 1 failed" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            box.start()  # the mail server is back: the retry (within seconds) delivers
            box.wait_sync("ann@example.org", timeout=20)
            time.sleep(1)
            assert len(box.to("ann@example.org")) == 1
            assert "sent to ann@example.org" in log.read_text()


def test_mail_committed_before_a_sigkill_is_sent_after_the_restart(
    tmp_path: Path, database: str
) -> None:
    with down_mailbox() as box:
        env = {"RENDEZVOUS_DATABASE_URL": database, "RENDEZVOUS_MAIL_URL": box.url}
        with started(serve_argv(), tmp_path, env) as (base, process):
            with httpx.Client(base_url=base) as client:
                sign_up(client, "Ann", email="ann@example.org")
            time.sleep(0.5)  # its first attempt fails: the mail server is down
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        assert box.to("ann@example.org") == []
        box.start()
        with started(serve_argv(), tmp_path, env):
            box.wait_sync("ann@example.org", timeout=20)
            time.sleep(1)
        assert len(box.to("ann@example.org")) == 1


class _Hook(BaseHTTPRequestHandler):
    """A chat server that answers 204 and keeps each request's webhook-id."""

    received: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Hook.received.append(self.headers["webhook-id"])
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_a_webhook_delivery_committed_before_a_sigkill_arrives_once_after_the_restart(
    tmp_path: Path, database: str
) -> None:
    hook_port = free_port()  # nothing listens there until after the kill
    env = {"RENDEZVOUS_DATABASE_URL": database, "RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE": "true"}
    with started(serve_argv(), tmp_path, env) as (base, process):
        with httpx.Client(base_url=base) as client:
            ann = sign_up(client, "Ann")
            group = client.post("/groups", json={"name": "Forum"}, headers=ann.headers).json()
            hook = client.post(
                f"/groups/{group['id']}/webhooks",
                json={"kind": "generic", "url": f"http://127.0.0.1:{hook_port}/hook"},
                headers=ann.headers,
            )
            assert hook.status_code == 201, hook.text
            proposed = client.post(
                f"/groups/{group['id']}/events",
                json={"title": "Meet", "timezone": "UTC", "time_options": [SPAN]},
                headers=ann.headers,
            )
            assert proposed.status_code == 201, proposed.text
        log = next(tmp_path.glob("server-*.log"))
        deadline = time.monotonic() + 10
        while "(webhook) attempt 1 failed" not in log.read_text():  # connection refused
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    _Hook.received = []
    receiver = ThreadingHTTPServer(("127.0.0.1", hook_port), _Hook)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with started(serve_argv(), tmp_path, env):
            deadline = time.monotonic() + 20  # the retry is due 5 s after the first attempt
            while not _Hook.received:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            time.sleep(1)
    finally:
        receiver.shutdown()
    assert len(_Hook.received) == 1


SPAN = {"start": "2027-03-06T12:00:00Z", "end": "2027-03-06T17:00:00Z"}


QUEUE_MAILS = """
import asyncio
from email.message import EmailMessage
from rendezvous.core.db.transactions import transactional
from rendezvous.outbox import services

@transactional
async def queue(count):
    for n in range(count):
        message = EmailMessage()
        message["From"] = "invites@meet.test"
        message["To"] = f"m{n}@example.org"
        message["Subject"] = f"Mail {n}"
        message["Message-ID"] = f"<test.{n}@meet.test>"
        message.set_content(f"Mail number {n}")
        await services.put(
            "mail",
            {"to": f"m{n}@example.org", "message_id": str(message["Message-ID"]),
             "message": message.as_string()},
            key=f"test:{n}",
        )

asyncio.run(queue(COUNT))
"""


def test_two_worker_processes_send_every_mail_exactly_once(tmp_path: Path, database: str) -> None:
    count = 500
    env = {"RENDEZVOUS_DATABASE_URL": database}
    rendezvous("migrate", cwd=tmp_path, env=env)
    subprocess.run(
        [sys.executable, "-c", QUEUE_MAILS.replace("COUNT", str(count))],
        cwd=tmp_path,
        env=environment(env),
        check=True,
        timeout=120,
    )
    with down_mailbox() as box:
        box.start()
        env["RENDEZVOUS_MAIL_URL"] = box.url
        logs = [(tmp_path / f"worker-{n}.log").open("w") for n in range(2)]
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "rendezvous", "worker"],
                cwd=tmp_path,
                env=environment(env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            deadline = time.monotonic() + 60
            while len(box.all()) < count:
                assert time.monotonic() < deadline, f"{len(box.all())} of {count} arrived"
                time.sleep(0.1)
            time.sleep(1)  # any duplicate would arrive meanwhile
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGINT)
            for worker in workers:
                worker.wait(timeout=30)
            for log in logs:
                log.close()
    ids = Counter(m.message["Message-ID"] for m in box.all())
    assert len(ids) == count and set(ids.values()) == {1}
    sent = [
        log.read_text().count(" sent to ")
        for log in (tmp_path / "worker-0.log", tmp_path / "worker-1.log")
    ]
    assert sum(sent) == count, sent
