"""Mail's costs against `rendezvous serve` (one worker), each beside a bare Litestar
endpoint served the same way and timed by the same client in the same run.

    python bench/mail.py [--quick] [--engines sqlite,postgres] [--pg-server postgresql://...]
                         [--members 200] [--confirms 20] [--rounds 3] [--warmup 2]
                         [--mails 2000] [--arrivals 50] [--before e646a3c | --before none]
                         [--after REV] [--sink raw | --sink aiosmtpd]

1. The outbox on the write path: POST /events/{id}/confirm in a group of --members, one
   confirm per fresh proposal, --confirms back to back per turn, timed as the client sees
   them. Turns by round: the bare PUT /bare; the commit before mail (--before, taken out of
   git with `git archive` and served from the same venv through PYTHONPATH); this code with
   nobody to mail (addresses unverified), first back to back, then each alone (the worker
   done with the last one's announcement); this code with every address verified, so that
   the served process's own worker renders and sends --members invites per confirm
   meanwhile. Before the next round, the announcements the worker has not started on are
   overtaken (their events' `sequence` raised in the database: the worker skips them, as
   it skips any a later change has overtaken) and the invites it had started are sent.
   Target: all mailed, p50 and p99 <= 1.15 x before.
2. Sending: --mails `mail` items (each the largest message the sink had received, an
   invite) queued in one transaction by outbox.services.put in a process of its own, then
   drained by the served process's worker into the sink; on the outbox the run left, then
   again once its done items are deleted (as pruning does after 30 days). Target: >= 200
   mails/s.
3. Commit to arrival: from the HTTP response of a change that mails one recipient (a
   proposal in a 2-member group; POST /me/email/verification), one at a time, to the
   message's arrival at the sink, first on a fresh outbox, then on the one the confirms
   left (done items are kept for 30 days); and from each warm-up confirm's response to its
   first and last invite. Target: p50 < 1 s.

The setup signs members up without an address, then writes their addresses (and marks them
verified) in the database directly, rather than through --members verification links. The
sink runs in its own process and logs each message's arrival on CLOCK_MONOTONIC, which
this process reads too. It is a minimal SMTP responder on asyncio (`--sink raw`): aiosmtpd
(`--sink aiosmtpd`) works through a message line by line, and took longer over a 65 kB
invite than the sender did.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import multiprocessing
import shutil
import statistics
import subprocess
import sys
import tarfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_PG_SERVER,
    bare_server,
    database,
    engines,
    seed_group,
    wait_until_listening,
    workdir,
)
from tests.server import environment, free_port, running

REPO = Path(__file__).resolve().parent.parent
BEFORE = "e646a3c"  # the commit before mail: no outbox on the write path
MAIL_FROM = "Rendezvous <rendezvous@bench.example>"
DOMAIN = "bench.example"
CONFIRM_TARGET = 1.15
SEND_TARGET = 200.0  # mails/s
ARRIVAL_TARGET_MS = 1000.0
DRAIN_TIMEOUT_S = 300.0


# --- the SMTP sink, in its own process ----------------------------------------------------


class _Responder(asyncio.Protocol):
    """Just enough SMTP for aiosmtplib: every command accepted, each message's end found
    by searching the received bytes for CRLF.CRLF, nothing parsed."""

    def __init__(self, arrived: Callable[[str, bytes], None]) -> None:
        self._arrived = arrived
        self._buffer = bytearray()
        self._in_data = False
        self._scanned = 0
        self._to = ""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if self._in_data:
                end = self._buffer.find(b"\r\n.\r\n", max(0, self._scanned - 4))
                if end < 0:
                    self._scanned = len(self._buffer)
                    return
                self._arrived(self._to, bytes(self._buffer[: end + 2]))
                del self._buffer[: end + 5]
                self._in_data, self._scanned = False, 0
                self._transport.write(b"250 OK\r\n")
                continue
            end = self._buffer.find(b"\r\n")
            if end < 0:
                return
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 2]
            self._command(line)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self._transport.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"RCPT":
            if not self._to:
                self._to = line.partition(b"<")[2].partition(b">")[0].decode()
            self._transport.write(b"250 OK\r\n")
        elif verb == b"MAIL":
            self._to = ""
            self._transport.write(b"250 OK\r\n")
        elif verb == b"DATA":
            self._in_data = True
            self._transport.write(b"354 go ahead\r\n")
        elif verb == b"QUIT":
            self._transport.write(b"221 bye\r\n")
            self._transport.close()
        else:  # HELO, RSET, NOOP
            self._transport.write(b"250 OK\r\n")


def _sink_main(port: int, log_path: str, sample_path: str, kind: str) -> None:
    """The sink: one line per message (its arrival on CLOCK_MONOTONIC, the same clock in
    every process, its first recipient and its size), and the largest message so far."""
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    largest = 0

    def arrived(to: str, content: bytes) -> None:
        nonlocal largest
        log.write(f"{time.monotonic():.6f} {to} {len(content)}\n")
        if len(content) > largest:
            Path(sample_path).write_bytes(content)
            largest = len(content)

    if kind == "aiosmtpd":
        from aiosmtpd.controller import Controller

        class Counting:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                arrived(envelope.rcpt_tos[0], envelope.content)
                return "250 OK"

        Controller(Counting(), hostname="127.0.0.1", port=port).start()
        threading.Event().wait()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Responder(arrived), "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(serve())


@dataclass
class Arrival:
    at: float  # time.monotonic()
    to: str
    size: int


class Sink:
    """The sink process, and its log read as it grows."""

    def __init__(self, work: Path, kind: str) -> None:
        self.kind = kind
        self.port = free_port()
        self.log = work / f"sink-{self.port}.log"
        self.sample = work / f"sink-{self.port}.eml"
        self.log.touch()
        self.arrivals: list[Arrival] = []
        self._offset = 0
        self._partial = ""

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def running(self) -> Iterator[Sink]:
        process = multiprocessing.get_context("spawn").Process(
            target=_sink_main,
            args=(self.port, str(self.log), str(self.sample), self.kind),
            daemon=True,
        )
        process.start()
        try:
            wait_until_listening(self.port, process, "the SMTP sink")
            yield self
        finally:
            process.terminate()
            process.join(10)

    def read(self) -> int:
        """Take in what arrived since the last read; the count of all arrivals."""
        with self.log.open() as file:
            file.seek(self._offset)
            text = file.read()
            self._offset = file.tell()
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            at, to, size = line.split(" ")
            self.arrivals.append(Arrival(float(at), to, int(size)))
        return len(self.arrivals)

    async def wait_for(self, count: int, within: float = DRAIN_TIMEOUT_S) -> float:
        """Until `count` messages have arrived in all; the last one's arrival."""
        deadline = time.monotonic() + within
        while self.read() < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(self.arrivals)} mails arrived, expected {count}")
            await asyncio.sleep(0.002)
        return self.arrivals[count - 1].at

    async def wait_to(self, to: str, nth: int, within: float = 30) -> float:
        """Until the `nth` (from 0) message to `to` has arrived; its arrival."""
        deadline = time.monotonic() + within
        while True:
            self.read()
            found = [a for a in self.arrivals if a.to == to]
            if len(found) > nth:
                return found[nth].at
            if time.monotonic() > deadline:
                raise RuntimeError(f"no mail number {nth + 1} to {to} within {within} s")
            await asyncio.sleep(0.001)


# --- servers and databases ----------------------------------------------------------------


def served(
    database_url: str, cwd: Path, mail_url: str | None, src: Path | None = None
) -> AbstractContextManager[str]:
    """`rendezvous serve` with one worker, of this checkout, or (with `src`) of the
    sources in `src` run by the same interpreter."""
    env: dict[str, str | None] = {
        "RENDEZVOUS_DATABASE_URL": database_url,
        "RENDEZVOUS_LOG_LEVEL": "warning",
        # the benchmarks measure throughput, which the per-token limits would cap
        "RENDEZVOUS_RATE_LIMIT_WRITES": "0",
        "RENDEZVOUS_RATE_LIMIT_GEOCODING": "0",
        "RENDEZVOUS_RATE_LIMIT_SIGNUPS": "0",
        "RENDEZVOUS_MAIL_URL": mail_url or f"file://{cwd}/mail-files",
        "RENDEZVOUS_MAIL_FROM": MAIL_FROM,
        "PYTHONPATH": str(src) if src else None,
    }
    argv = [sys.executable, "-m", "rendezvous", "serve", "--port", "{port}", "--workers", "1"]
    return running(argv, cwd, env)


def extract(revision: str, work: Path) -> Path:
    """The package's sources at `revision`, without touching the checkout's work tree or
    index (git archive reads the object store only)."""
    target = work / f"src-{revision}"
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / "src"


class Db:
    """Straight into a served database: the setup, and watching the outbox."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pg: asyncpg.Connection | None = None
        self._sqlite: Any = None

    async def __aenter__(self) -> Db:
        if self.url.startswith("sqlite"):
            import sqlite3

            self._sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
            self._sqlite.isolation_level = None  # autocommit: no read transaction kept open
        else:
            self._pg = await asyncpg.connect(self.url)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._pg is not None:
            await self._pg.close()
        if self._sqlite is not None:
            self._sqlite.close()

    async def execute(self, sql: str) -> None:
        if self._pg is not None:
            await self._pg.execute(sql)
        else:
            self._sqlite.execute(sql)

    async def value(self, sql: str) -> Any:
        if self._pg is not None:
            return await self._pg.fetchval(sql)
        return self._sqlite.execute(sql).fetchone()[0]

    def boolean(self, value: bool) -> str:
        if self._pg is not None:
            return "TRUE" if value else "FALSE"
        return "1" if value else "0"

    async def verify(self, verified: bool | None) -> None:
        """Every account's address written, and marked verified or not (None: the code
        before mail, which has no such mark)."""
        mark = "" if verified is None else f", email_verified = {self.boolean(verified)}"
        await self.execute(f"UPDATE app_user SET email = 'm' || id || '@{DOMAIN}'{mark}")

    async def outbox_size(self) -> str:
        """How many items the outbox holds (done ones are kept for 30 days), and their
        payloads' size: what the worker's look-ups and the reminders' withdrawal read."""
        count, size = (
            await self._pg.fetchrow("SELECT count(*), sum(length(payload)) FROM outbox")
            if self._pg is not None
            else self._sqlite.execute(
                "SELECT count(*), sum(length(payload)) FROM outbox"
            ).fetchone()
        )
        return f"{count} items, {(size or 0) / 1e6:.0f} MB"

    async def settle(self, within: float = DRAIN_TIMEOUT_S) -> None:
        """Until no item is pending but reminders (due a day before each meetup): every
        announcement handled, every mail sent."""
        deadline = time.monotonic() + within
        while await self.value(
            "SELECT count(*) FROM outbox WHERE state = 'pending' AND kind <> 'event.reminder'"
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the outbox did not drain")
            await asyncio.sleep(0.02)
        failed = await self.value("SELECT count(*) FROM outbox WHERE state = 'failed'")
        if failed:
            raise RuntimeError(f"{failed} outbox items failed")


# --- timing -----------------------------------------------------------------------------


@dataclass
class Timings:
    label: str
    ms: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.ms)

    @property
    def p99(self) -> float:
        """The nearest rank: with under 100 samples, the slowest."""
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1)]


async def timed(call: Callable[[], Awaitable[httpx.Response]], expect: int, into: Timings) -> None:
    started = time.perf_counter()
    response = await call()
    into.ms.append((time.perf_counter() - started) * 1000)
    assert response.status_code == expect, (response.status_code, response.text[:500])


async def bare_turn(client: httpx.AsyncClient, bare: str, n: int, into: Timings) -> None:
    for _ in range(n):
        await timed(lambda: client.put(f"{bare}/bare", json={"option_id": None}), 200, into)


OPTIONS = [
    {"start": "2030-06-01T12:00:00Z", "end": "2030-06-01T17:00:00Z"},
    {"start": "2030-06-02T12:00:00Z", "end": "2030-06-02T17:00:00Z"},
]


def proposal(title: str) -> dict[str, Any]:
    return {"title": title, "timezone": "Europe/London", "time_options": OPTIONS}


# --- 1. the outbox on the write path -----------------------------------------------------


@dataclass
class Side:
    """One served app with its 200-member group and its proposals waiting to be confirmed."""

    base: str
    db: Db
    group: int = 0
    owner: str = ""
    events: list[int] = field(default_factory=list)

    async def seed(self, members: int, proposals: int) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=120) as client:
            self.group, tokens = await seed_group(client, [None] * members)
            self.owner = tokens[0]
            auth = {"Authorization": f"Bearer {self.owner}"}
            for i in range(proposals):
                created = await client.post(
                    f"/groups/{self.group}/events", json=proposal(f"Bench {i}"), headers=auth
                )
                assert created.status_code == 201, created.text
                self.events.append(int(created.json()["id"]))

    async def confirm(self, client: httpx.AsyncClient, n: int, into: Timings) -> list[int]:
        """`n` confirms back to back, each of a proposal of its own; their events."""
        auth = {"Authorization": f"Bearer {self.owner}"}
        confirmed, self.events = self.events[:n], self.events[n:]
        for event in confirmed:
            await timed(
                lambda e=event: client.post(  # type: ignore[misc]
                    f"{self.base}/events/{e}/confirm", json={}, headers=auth
                ),
                200,
                into,
            )
        return confirmed


@dataclass
class ConfirmFigures:
    bare: Timings
    before: Timings | None
    alone: Timings  # after, nobody to mail, each once the last one's item is handled
    quiet: Timings  # after, nobody to mail
    mailed: Timings  # after, every member mailed
    fan_out: Timings  # a confirm's response to its last invite, alone
    fan_out_first: Timings  # ... to its first invite
    outbox: list[str] = field(default_factory=list)  # its size before and after the rounds


async def measure_confirms(
    after: Side, before: Side | None, bare: str, sink: Sink, args: argparse.Namespace
) -> ConfirmFigures:
    n, members = args.confirms, args.members
    seeding = [after.seed(members, args.warmup + 3 * n * args.rounds)]
    if before is not None:
        seeding.append(before.seed(members, 1 + n * args.rounds))
    await asyncio.gather(*seeding)
    await after.db.settle()  # the proposals' announcements found nobody verified to mail
    if before is not None:
        await before.db.verify(None)  # addresses alike; the code before mail sends none
    await after.db.verify(True)
    figures = ConfirmFigures(
        Timings("bare PUT /bare"),
        Timings("confirm, before") if before is not None else None,
        Timings("confirm, nobody, alone"),
        Timings("confirm, nobody to mail"),
        Timings("confirm, all mailed"),
        Timings(f"confirm -> last of {members}"),
        Timings(f"confirm -> first of {members}"),
    )
    async with httpx.AsyncClient(timeout=120) as client:
        # Warm-up, one at a time, each confirm's invites all arrived before the next.
        for _ in range(args.warmup):
            count = sink.read()
            await after.confirm(client, 1, Timings("warm-up"))
            answered = time.monotonic()
            last = await sink.wait_for(count + members)
            figures.fan_out.ms.append((last - answered) * 1000)
            figures.fan_out_first.ms.append((sink.arrivals[count].at - answered) * 1000)
            await after.db.settle()
        if before is not None:
            await before.confirm(client, 1, Timings("warm-up"))
        figures.outbox.append(await after.db.outbox_size())
        for turn in range(args.rounds):
            await bare_turn(client, bare, n, figures.bare)

            async def quiet() -> None:
                await after.db.verify(False)
                await after.confirm(client, n, figures.quiet)
                await after.db.settle()
                for _ in range(n):  # the write path alone: the worker idle meanwhile
                    await after.confirm(client, 1, figures.alone)
                    await after.db.settle()
                await after.db.verify(True)

            async def before_turn() -> None:
                if before is not None and figures.before is not None:
                    await before.confirm(client, n, figures.before)

            for step in (before_turn, quiet) if turn % 2 == 0 else (quiet, before_turn):
                await step()
            confirmed = await after.confirm(client, n, figures.mailed)
            # What the worker has not started on is overtaken; what it has, it sends.
            await after.db.execute(
                f"UPDATE event SET sequence = sequence + 1000 "
                f"WHERE id IN ({', '.join(map(str, confirmed))})"
            )
            await after.db.settle()
            print(f"  confirm round {turn + 1}/{args.rounds} done", file=sys.stderr)
        figures.outbox.append(await after.db.outbox_size())
    return figures


# --- 3. commit to arrival ----------------------------------------------------------------


@dataclass
class ArrivalFigures:
    bare: Timings
    proposal: Timings
    verification: Timings
    outbox: str = ""


async def measure_arrivals(base: str, bare: str, db: Db, sink: Sink, runs: int) -> ArrivalFigures:
    figures = ArrivalFigures(
        Timings("bare PUT /bare"),
        Timings("proposal -> its mail"),
        Timings("verification -> its mail"),
    )
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        group, (owner, _) = await seed_group(client, [None, None])
        tag = uuid.uuid4().hex[:6]  # the sink outlives each engine's database
        watched = f"watch-{tag}@{DOMAIN}"
        await db.execute(
            f"UPDATE app_user SET email = '{watched}', email_verified = {db.boolean(True)} "
            f"WHERE id = (SELECT max(id) FROM app_user)"
        )
        verifiers = []
        for i in range(runs):
            address = f"verify-{tag}-{i}@{DOMAIN}"
            signed = await client.post("/users", json={"name": f"V{i}", "email": address})
            assert signed.status_code == 201, signed.text
            verifiers.append((signed.json()["token"], address))
        for _, address in verifiers:  # the sign-ups' own verification mails leave first
            await sink.wait_to(address, 0)
        await db.settle()
        figures.outbox = await db.outbox_size()
        unused = Timings("")
        for i, (token, address) in enumerate(verifiers):
            await bare_turn(client, bare, 1, figures.bare)
            await timed(
                lambda i=i: client.post(  # type: ignore[misc]
                    f"/groups/{group}/events",
                    json=proposal(f"Arrival {i}"),
                    headers={"Authorization": f"Bearer {owner}"},
                ),
                201,
                unused,
            )
            answered = time.monotonic()
            figures.proposal.ms.append((await sink.wait_to(watched, i) - answered) * 1000)
            await timed(
                lambda t=token: client.post(  # type: ignore[misc]
                    "/me/email/verification", headers={"Authorization": f"Bearer {t}"}
                ),
                202,
                unused,
            )
            answered = time.monotonic()
            figures.verification.ms.append((await sink.wait_to(address, 1) - answered) * 1000)
    return figures


# --- 2. sending ---------------------------------------------------------------------------


@dataclass
class SendFigures:
    mails: int
    size: int
    queue_s: float  # writing the items in one transaction, in a process of its own
    first_s: float  # from the commit to the first arrival (the worker's wake-up)
    rate: float  # mails/s from the first arrival to the last
    overall: float  # mails/s from the commit to the last arrival
    outbox: str  # before the items were queued


def sample_message(sample: Path, to: str) -> str:
    """The largest message the sink received (an invite), or a small one."""
    if sample.exists():
        return sample.read_bytes().decode("utf-8")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = MAIL_FROM, to, "Bench"
    message.set_content("A benchmark's message.\n" * 50)
    return message.as_bytes().decode("utf-8")


async def queue_mails(n: int, to: str, text: str) -> None:
    """(In a process of its own, whose engine is RENDEZVOUS_DATABASE_URL's.) `n` mail
    items as mail.outgoing writes them, in one transaction."""
    from rendezvous.core.db.engines import get_engine
    from rendezvous.core.db.transactions import transactional
    from rendezvous.outbox import services as outbox

    tag = uuid.uuid4().hex[:8]

    @transactional
    async def put_all() -> None:
        for i in range(n):
            await outbox.put(
                "mail",
                {"to": to, "message_id": f"<bench.{tag}.{i}@{DOMAIN}>", "message": text},
                key=f"mail:bench{tag}:{i}",
            )

    engine = get_engine()
    await engine.open(2)
    try:
        await put_all()
    finally:
        await engine.close()


async def measure_sending(
    database_url: str, src: Path | None, work: Path, db: Db, sink: Sink, n: int
) -> SendFigures:
    await db.settle()
    outbox = await db.outbox_size()
    to = f"drain{uuid.uuid4().hex[:6]}@{DOMAIN}"
    count = sink.read()
    started = time.monotonic()
    queueing = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--queue-mails", str(n), "--to", to, "--sample",
        str(sink.sample), cwd=work,
        env=environment({
            "RENDEZVOUS_DATABASE_URL": database_url,
            "RENDEZVOUS_MAIL_FROM": MAIL_FROM,
            "RENDEZVOUS_LOG_LEVEL": "warning",
            "PYTHONPATH": str(src) if src else None,
        }),
    )  # fmt: skip
    if await queueing.wait() != 0:
        raise RuntimeError("queueing the mail items failed")
    committed = time.monotonic()
    last = await sink.wait_for(count + n)
    first = sink.arrivals[count]
    assert all(a.to == to for a in sink.arrivals[count : count + n])
    await db.settle()
    return SendFigures(
        n,
        first.size,
        committed - started,
        first.at - committed,
        (n - 1) / (last - first.at),
        n / (last - committed),
        outbox,
    )


# --- each engine ---------------------------------------------------------------------------


@dataclass
class EngineFigures:
    engine: str
    confirms: ConfirmFigures
    sending: list[SendFigures]  # on the outbox the run left, then with its done items gone
    send_bare: Timings
    arrivals: list[ArrivalFigures]  # on a fresh outbox, then on the one the confirms left


def run_engine(
    engine: str,
    args: argparse.Namespace,
    work: Path,
    sink: Sink,
    after_src: Path | None,
    before_src: Path | None,
) -> EngineFigures:
    """Commit to arrival on a fresh outbox; the confirms (with the code before mail served
    beside, until then); commit to arrival again, on the outbox the confirms left; sending."""
    with ExitStack() as stack:
        bare = stack.enter_context(bare_server(1, work))
        after_url = stack.enter_context(database(engine, args.pg_server, work))
        after_base = stack.enter_context(served(after_url, work, sink.url, after_src))

        async def arrivals() -> ArrivalFigures:
            async with Db(after_url) as db:
                return await measure_arrivals(after_base, bare, db, sink, args.arrivals)

        fresh = asyncio.run(arrivals())
        print(f"done: {engine}, arrivals on a fresh outbox", file=sys.stderr)
        with ExitStack() as before_stack:  # stopped once the confirms are measured
            before_url = before_base = None
            if before_src is not None:
                before_url = before_stack.enter_context(database(engine, args.pg_server, work))
                before_base = before_stack.enter_context(served(before_url, work, None, before_src))

            async def confirms() -> ConfirmFigures:
                async with Db(after_url) as after_db, contextlib.AsyncExitStack() as dbs:
                    before = None
                    if before_base is not None and before_url is not None:
                        before = Side(before_base, await dbs.enter_async_context(Db(before_url)))
                    after = Side(after_base, after_db)
                    return await measure_confirms(after, before, bare, sink, args)

            confirm_figures = asyncio.run(confirms())
            print(f"done: {engine}, confirms", file=sys.stderr)
        grown = asyncio.run(arrivals())
        print(f"done: {engine}, arrivals on the grown outbox", file=sys.stderr)

        async def sending() -> tuple[list[SendFigures], Timings]:
            async with Db(after_url) as db, httpx.AsyncClient(timeout=30) as client:
                send_bare = Timings("bare PUT /bare")
                await bare_turn(client, bare, 100, send_bare)
                grown = await measure_sending(after_url, after_src, work, db, sink, args.mails)
                await bare_turn(client, bare, 100, send_bare)
                await db.execute("DELETE FROM outbox WHERE state = 'done'")  # as if pruned
                pruned = await measure_sending(after_url, after_src, work, db, sink, args.mails)
                await bare_turn(client, bare, 100, send_bare)
                return [grown, pruned], send_bare

        sent, send_bare = asyncio.run(sending())
        print(f"done: {engine}, sending", file=sys.stderr)
        return EngineFigures(engine, confirm_figures, sent, send_bare, [fresh, grown])


# --- the report ----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _latency_rows(engine: str, rows: list[Timings], before: Timings | None) -> None:
    for t in rows:
        ratios = ("", "")
        if before is not None and t.label.startswith("confirm,") and t is not before:
            ratios = (f"{t.p50 / before.p50:.2f}", f"{t.p99 / before.p99:.2f}")
        print(
            f"{engine:<11} {t.label:<26} {len(t.ms):>4} {t.p50:>9.1f} {t.p99:>9.1f} "
            f"{max(t.ms):>9.1f} {ratios[0]:>8} {ratios[1]:>8}"
        )


def report(figures: list[EngineFigures], args: argparse.Namespace) -> None:
    header = (
        f"{'engine':<11} {'':<26} {'n':>4} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} "
        f"{'p50 x b':>8} {'p99 x b':>8}"
    )
    print(
        f"\n1. POST /events/{{id}}/confirm in a group of {args.members}, {args.rounds} rounds "
        f"of {args.confirms} back to back per row, by turns (x b: over the code before mail)"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        c = f.confirms
        rows = [c.bare, *([c.before] if c.before else []), c.alone, c.quiet, c.mailed]
        _latency_rows(f.engine, rows, c.before)
        print(f"{f.engine:<11} (the outbox held {c.outbox[0]} before, {c.outbox[1]} after)")

    print(
        f"\n2. {args.mails} queued mail items drained by one worker into the sink, on the "
        "outbox the run left, then with its done items deleted (bare: both runs' turns)"
    )
    header = (
        f"{'engine':<11} {'bytes':>7} {'queue s':>8} {'wake s':>7} {'mails/s':>8} "
        f"{'incl. wake':>11} {'bare p50 ms':>12} {'bare req/s':>11}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        for s in f.sending:
            print(
                f"{f.engine:<11} {s.size:>7} {s.queue_s:>8.2f} {s.first_s:>7.2f} {s.rate:>8.0f} "
                f"{s.overall:>11.0f} {f.send_bare.p50:>12.2f} "
                f"{1000 / statistics.mean(f.send_bare.ms):>11.0f}   outbox: {s.outbox}"
            )

    print(
        f"\n3. Commit to arrival at the sink, {args.arrivals} runs each, one at a time, on a "
        "fresh outbox and on the one the confirms left"
    )
    header = f"{'engine':<11} {'':<26} {'n':>4} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}"
    print(header)
    print("-" * len(header))
    for f in figures:
        for a in f.arrivals:
            print(f"{f.engine:<11} (the outbox holding {a.outbox})")
            for t in (a.bare, a.proposal, a.verification):
                print(
                    f"{f.engine:<11} {t.label:<26} {len(t.ms):>4} {t.p50:>9.1f} {t.p99:>9.1f} "
                    f"{max(t.ms):>9.1f}"
                )
        c = f.confirms
        print(f"{f.engine:<11} (the warm-up confirms, one at a time)")
        for t in (c.fan_out_first, c.fan_out):
            if t.ms:
                print(
                    f"{f.engine:<11} {t.label:<26} {len(t.ms):>4} {t.p50:>9.1f} {t.p99:>9.1f} "
                    f"{max(t.ms):>9.1f}"
                )

    print("\nTargets")
    for f in figures:
        c = f.confirms
        if c.before is not None:
            p50, p99 = c.mailed.p50 / c.before.p50, c.mailed.p99 / c.before.p99
            ok = max(p50, p99) <= CONFIRM_TARGET
            print(
                f"{f.engine:<11} confirm, all mailed <= {CONFIRM_TARGET} x before at p50 and "
                f"p99: {verdict(ok)} ({p50:.2f} x, {p99:.2f} x; nobody to mail: "
                f"{c.quiet.p50 / c.before.p50:.2f} x, {c.quiet.p99 / c.before.p99:.2f} x; alone: "
                f"{c.alone.p50 / c.before.p50:.2f} x, {c.alone.p99 / c.before.p99:.2f} x)"
            )
        rates = [s.rate for s in f.sending]
        print(
            f"{f.engine:<11} sending >= {SEND_TARGET:.0f} mails/s: on the outbox the run left "
            f"{verdict(rates[0] >= SEND_TARGET)}, pruned {verdict(rates[1] >= SEND_TARGET)} "
            f"({rates[0]:.0f}/s, {rates[1]:.0f}/s)"
        )
        worst = max(max(a.proposal.p50, a.verification.p50) for a in f.arrivals)
        print(
            f"{f.engine:<11} commit to arrival p50 < {ARRIVAL_TARGET_MS / 1000:.0f} s: "
            f"{verdict(worst < ARRIVAL_TARGET_MS)} ({worst:.0f} ms, the slower kind)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer of everything")
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--confirms", type=int, default=20, help="back to back, per turn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=2, help="confirms, one at a time")
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--arrivals", type=int, default=50)
    parser.add_argument("--before", default=BEFORE, help="a revision, or none")
    parser.add_argument("--after", default=None, help="a revision instead of this checkout")
    parser.add_argument("--sink", choices=("raw", "aiosmtpd"), default="raw")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--seconds", type=int, help=argparse.SUPPRESS)  # all.py's, unused
    # internal: queue mail items in this process (see queue_mails)
    parser.add_argument("--queue-mails", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--to", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.queue_mails is not None:
        text = sample_message(Path(args.sample), args.to)
        asyncio.run(queue_mails(args.queue_mails, args.to, text))
        return
    if args.quick:
        args.confirms, args.rounds, args.warmup = 8, 2, 1
        args.mails, args.arrivals = 500, 15

    work = workdir()
    after_src = extract(args.after, work) if args.after else None
    before_src = None
    if args.before != "none":
        try:
            before_src = extract(args.before, work)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            print(f"cannot take {args.before} out of git: {exc}; before skipped", file=sys.stderr)
    figures = []
    with Sink(work, args.sink).running() as sink:
        for engine in engines(args.engines, args.pg_server):
            started = time.monotonic()
            figures.append(run_engine(engine, args, work, sink, after_src, before_src))
            print(f"done: {engine} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    report(figures, args)
    # A run leaves hundreds of MB of mail in its SQLite files; a failed one keeps its logs.
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
