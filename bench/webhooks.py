"""Chat webhooks' costs against `rendezvous serve` (one worker), each beside a bare Litestar
endpoint served the same way and timed by the same client in the same run.

    python bench/webhooks.py [--quick] [--engines sqlite,postgres] [--pg-server postgresql://...]
                             [--deliveries 2000] [--drains 2] [--destinations 10]
                             [--fanout 100] [--arrivals 50] [--hooks 5] [--proposals 40]
                             [--rounds 6]

Every destination is a generic webhook whose URL is a path on a receiver in a process of its
own: a minimal HTTP/1.1 responder on asyncio that answers 204 to every request (keeping the
connection open if the sender wants it) and logs each request's arrival on CLOCK_MONOTONIC,
which this process reads too (as bench/mail.py's SMTP sink). The server runs with
RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE=true, so that it may post to http://127.0.0.1:<port>.

1. Commit to arrival: --arrivals proposals, one at a time, in a group with one destination,
   each from its HTTP response to its delivery's arrival at the receiver; the first
   proposal after the start is shown apart (its announcement also waits for mail's
   rendering process to start).
2. The added cost of destinations on the write path: POST /groups/{id}/events, back to
   back, in a group with no destination and in one with --hooks of them (so that the
   served process's worker fans each proposal out and sends its deliveries meanwhile),
   --proposals per turn, turns by round with the bare PUT /bare, each group's turn
   followed by the outbox drained. Target: p50 with destinations <= 1.15 x without.
3. Sending: --deliveries `webhook` items, round robin over --destinations destinations of
   one group, written in one transaction by outbox.services.put_all in a process of its
   own (as webhooks.outgoing writes a proposal's deliveries), then sent by the served
   process's worker; deliveries/s from the first arrival to the last, --drains times (on
   SQLite a commit in another process wakes the worker only at its next poll, within 5 s:
   that wait is shown apart). Then the same by real changes: --fanout proposals back to
   back in that group, each fanned out by the worker into one delivery per destination
   while the next come in. Target: >= 300 deliveries/s (queued directly).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    DEFAULT_PG_SERVER,
    bare_server,
    database,
    engines,
    rendezvous_server,
    seed_group,
    wait_until_listening,
    workdir,
)
from mail import Db, Sink, Timings, bare_turn, proposal, timed, verdict
from tests.server import environment

DELIVERY_TARGET = 300.0  # deliveries/s
COST_TARGET = 1.15  # p50 with destinations over p50 without


# --- the receiver, in its own process -----------------------------------------------------


class _Responder(asyncio.Protocol):
    """Just enough HTTP/1.1 for httpx: each request's head read up to its blank line, its
    body by Content-Length (httpx sends one for a body of bytes), then 204, no body.
    Nothing else is parsed."""

    def __init__(self, arrived: Callable[[str, bytes], None]) -> None:
        self._arrived = arrived
        self._buffer = bytearray()
        self._path = ""
        self._length: int | None = None  # of the body awaited, once the head is read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            if self._length is None:
                end = self._buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                request_line, *headers = bytes(self._buffer[:end]).split(b"\r\n")
                del self._buffer[: end + 4]
                self._path = request_line.split(b" ")[1].decode()
                self._length = 0
                for header in headers:
                    name, _, value = header.partition(b":")
                    if name.strip().lower() == b"content-length":
                        self._length = int(value)
            if len(self._buffer) < self._length:
                return
            body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
            self._length = None
            self._arrived(self._path, body)
            self._transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")


def _receiver_main(port: int, log_path: str) -> None:
    """The receiver: one line per request, as bench/mail.py's sink writes one per message
    (its arrival on CLOCK_MONOTONIC, the same clock in every process, its path and its
    body's size), so that Sink reads them."""
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process's life

    def arrived(path: str, body: bytes) -> None:
        log.write(f"{time.monotonic():.6f} {path} {len(body)}\n")

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Responder(arrived), "127.0.0.1", port, backlog=1024
        )
        await server.serve_forever()

    asyncio.run(serve())


class Receiver(Sink):
    """The receiver process, its log read as bench/mail.py's sink's: an arrival's `to` is
    the request's path (each destination has its own)."""

    def __init__(self, work: Path) -> None:
        super().__init__(work, "http")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def running(self) -> Iterator[Receiver]:
        process = multiprocessing.get_context("spawn").Process(
            target=_receiver_main, args=(self.port, str(self.log)), daemon=True
        )
        process.start()
        try:
            wait_until_listening(self.port, process, "the webhook receiver")
            yield self
        finally:
            process.terminate()
            process.join(10)

    def between(self, start: float, end: float, prefix: str) -> int:
        """How many requests to paths starting with `prefix` arrived from `start` to `end`."""
        self.read()
        return sum(1 for a in self.arrivals if start <= a.at <= end and a.to.startswith(prefix))


# --- the app's side ----------------------------------------------------------------------


@dataclass
class Group:
    """A group of the served app with its destinations (a path on the receiver each)."""

    id: int
    owner: str
    paths: list[str] = field(default_factory=list)
    hooks: list[int] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.owner}"}

    async def connect(
        self, client: httpx.AsyncClient, receiver: Receiver, paths: list[str]
    ) -> None:
        """A generic destination per path, each wanting the default event types
        (event.proposed among them)."""
        for path in paths:
            created = await client.post(
                f"/groups/{self.id}/webhooks",
                json={"kind": "generic", "url": f"{receiver.url}{path}"},
                headers=self.auth,
            )
            assert created.status_code == 201, created.text
            self.paths.append(path)
            self.hooks.append(int(created.json()["id"]))

    async def propose(self, client: httpx.AsyncClient, title: str, into: Timings) -> Any:
        """A proposal, timed; its event as the API shows it."""
        shown: list[Any] = []

        async def post() -> httpx.Response:
            response = await client.post(
                f"/groups/{self.id}/events", json=proposal(title), headers=self.auth
            )
            shown.append(response.json())
            return response

        await timed(post, 201, into)
        return shown[0]


async def new_group(
    client: httpx.AsyncClient, receiver: Receiver, paths: list[str], members: int = 2
) -> Group:
    """A group of `members`, seeded over HTTP, with a destination per path."""
    group_id, tokens = await seed_group(client, [None] * members)
    group = Group(group_id, tokens[0])
    await group.connect(client, receiver, paths)
    return group


def tagged(name: str) -> str:
    """A path prefix of its own, so that no two runs' arrivals mix."""
    return f"/{name}-{uuid.uuid4().hex[:6]}"


# --- 1. commit to arrival ------------------------------------------------------------------


@dataclass
class ArrivalFigures:
    bare: Timings
    proposal: Timings  # the proposals' own response times
    arrival: Timings  # from each proposal's response to its delivery's arrival
    # The first proposal's, untimed above: it also waits for the mail handler's rendering
    # process to start (the announcement's mail handler runs before its webhook handler).
    first: Timings


async def measure_arrivals(
    client: httpx.AsyncClient, bare: str, receiver: Receiver, runs: int
) -> ArrivalFigures:
    figures = ArrivalFigures(
        Timings("bare PUT /bare"),
        Timings("proposal, 1 destination"),
        Timings("proposal -> its delivery"),
        Timings("the first after the start"),
    )
    path = tagged("arrival")
    group = await new_group(client, receiver, [path])
    for i in range(runs + 1):
        await bare_turn(client, bare, 1, figures.bare)
        await group.propose(client, f"Arrival {i}", figures.proposal if i else Timings(""))
        answered = time.monotonic()
        took = (await receiver.wait_to(path, i) - answered) * 1000
        (figures.arrival if i else figures.first).ms.append(took)
    return figures


# --- 2. the added cost on the write path ----------------------------------------------------


@dataclass
class ProposalFigures:
    hooks: int
    bare: Timings
    quiet: Timings  # no destination
    hooked: Timings  # `hooks` destinations
    # of the deliveries the hooked turns' proposals made, those that arrived during the turns
    sent_meanwhile: int = 0
    queued: int = 0


async def measure_proposals(
    client: httpx.AsyncClient, bare: str, receiver: Receiver, db: Db, args: argparse.Namespace
) -> ProposalFigures:
    n = args.proposals
    figures = ProposalFigures(
        args.hooks,
        Timings("bare PUT /bare"),
        Timings("propose, 0 destinations"),
        Timings(f"propose, {args.hooks} destinations"),
    )
    prefix = tagged("cost")
    quiet = await new_group(client, receiver, [])
    hooked = await new_group(client, receiver, [f"{prefix}/{i}" for i in range(args.hooks)])
    for group in (quiet, hooked):  # warm-up, not timed
        for i in range(3):
            await group.propose(client, f"Warm-up {i}", Timings(""))
    await db.settle()

    async def turn(group: Group, into: Timings) -> None:
        started = time.monotonic()
        for i in range(n):
            await group.propose(client, f"Cost {i}", into)
        if group is hooked:
            figures.sent_meanwhile += receiver.between(started, time.monotonic(), prefix)
            figures.queued += n * args.hooks
        await db.settle()  # each turn starts with an idle worker

    for r in range(args.rounds):
        await bare_turn(client, bare, n, figures.bare)
        turns = [(quiet, figures.quiet), (hooked, figures.hooked)]
        for group, into in turns if r % 2 == 0 else turns[::-1]:
            await turn(group, into)
        print(f"  proposal round {r + 1}/{args.rounds} done", file=sys.stderr)
    return figures


# --- 3. sending ----------------------------------------------------------------------------


@dataclass
class DrainFigures:
    label: str
    deliveries: int
    size: int  # a delivery's body
    queue_s: float  # from starting the queueing process to its commit, or the proposals
    first_s: float  # from the commit, or the first proposal, to the first arrival
    rate: float  # deliveries/s from the first arrival to the last
    overall: float  # deliveries/s from the start to the last arrival
    outbox: str  # before


def news_of(group: Group, event: dict[str, Any]) -> dict[str, Any]:
    """What webhooks.outgoing keeps in a delivery of a proposal (its `_news`)."""
    return {
        "type": "event.proposed",
        "occurred_at": datetime.now(UTC).isoformat(),
        "group_id": group.id,
        "group": "Bench",
        "event": event,
        "url": f"http://localhost:8000/events/{event['id']}",
        "actor": "M0",
        "member": None,
        "extra": {},
    }


async def queue_deliveries(n: int, hooks: list[int], news: dict[str, Any]) -> None:
    """(In a process of its own, whose engine is RENDEZVOUS_DATABASE_URL's.) `n` webhook
    deliveries round robin over `hooks`, as webhooks.outgoing writes a change's, in one
    transaction."""
    from rendezvous.core.db.engines import get_engine
    from rendezvous.core.db.transactions import transactional
    from rendezvous.outbox import services as outbox
    from rendezvous.webhooks.outgoing import WEBHOOK
    from rendezvous.webhooks.services import topic

    tag = uuid.uuid4().hex[:8]
    entries = []
    for i in range(n):
        hook = hooks[i % len(hooks)]
        payload = {"webhook_id": hook, "delivery_id": f"msg_bench{tag}{i}", "news": news}
        entries.append(
            outbox.Entry(
                WEBHOOK,
                payload,
                key=f"webhook:bench{tag}:{i}",
                topic=topic(hook),
                label=news["type"],
            )
        )

    @transactional
    async def put_all() -> None:
        for start in range(0, n, 500):  # within both engines' limits on parameters
            await outbox.put_all(entries[start : start + 500])

    engine = get_engine()
    await engine.open(2)
    try:
        await put_all()
        print(f"{time.monotonic():.6f}")  # the commit, on the clock every process reads
    finally:
        await engine.close()


async def drain_queued(
    database_url: str, work: Path, db: Db, receiver: Receiver, group: Group, event: Any, n: int
) -> DrainFigures:
    await db.settle()
    outbox = await db.outbox_size()
    news = work / f"news-{uuid.uuid4().hex[:6]}.json"
    news.write_text(json.dumps(news_of(group, event)))
    count = receiver.read()
    started = time.monotonic()
    queueing = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--queue-deliveries", str(n),
        "--to-hooks", ",".join(map(str, group.hooks)), "--news", str(news), cwd=work,
        env=environment({
            "RENDEZVOUS_DATABASE_URL": database_url,
            "RENDEZVOUS_LOG_LEVEL": "warning",
        }),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await queueing.communicate()
    if queueing.returncode != 0:
        raise RuntimeError("queueing the deliveries failed")
    committed = float(out.decode().split()[-1])
    figures = await _drained("queued directly", receiver, db, group, n, count, outbox)
    figures.queue_s = committed - started
    figures.first_s = receiver.arrivals[count].at - committed  # the worker's wake-up
    figures.overall = n / (receiver.arrivals[count + n - 1].at - committed)
    return figures


async def drain_fanned_out(
    client: httpx.AsyncClient, db: Db, receiver: Receiver, group: Group, proposals: int
) -> DrainFigures:
    await db.settle()
    outbox = await db.outbox_size()
    count = receiver.read()
    started = time.monotonic()
    for i in range(proposals):
        await group.propose(client, f"Fan-out {i}", Timings(""))
    proposed = time.monotonic()
    n = proposals * len(group.hooks)
    label = f"{proposals} proposals x {len(group.hooks)}"
    figures = await _drained(label, receiver, db, group, n, count, outbox)
    figures.queue_s = proposed - started
    figures.first_s = receiver.arrivals[count].at - started
    figures.overall = n / (receiver.arrivals[count + n - 1].at - started)
    return figures


async def _drained(
    label: str, receiver: Receiver, db: Db, group: Group, n: int, count: int, outbox: str
) -> DrainFigures:
    """Until the `n` deliveries after the `count`th arrival have all arrived, and no more."""
    last = await receiver.wait_for(count + n)
    first = receiver.arrivals[count]
    assert all(a.to in group.paths for a in receiver.arrivals[count : count + n])
    await db.settle()
    await asyncio.sleep(0.2)
    if receiver.read() != count + n:  # at least once, but here a repeat would be a fault
        raise RuntimeError(f"{len(receiver.arrivals) - count} requests for {n} deliveries")
    return DrainFigures(label, n, first.size, 0.0, 0.0, (n - 1) / (last - first.at), 0.0, outbox)


# --- each engine ---------------------------------------------------------------------------


@dataclass
class EngineFigures:
    engine: str
    arrivals: ArrivalFigures
    proposals: ProposalFigures
    drains: list[DrainFigures]
    drain_bare: Timings  # turns before, between and after the drains


def run_engine(engine: str, args: argparse.Namespace, work: Path) -> EngineFigures:
    """Commit to arrival, the proposals' cost, then sending, on a fresh database, with a
    receiver of its own."""
    with ExitStack() as stack:
        receiver = stack.enter_context(Receiver(work).running())
        bare = stack.enter_context(bare_server(1, work))
        url = stack.enter_context(database(engine, args.pg_server, work))
        base = stack.enter_context(rendezvous_server(url, 1, work))

        async def measure() -> EngineFigures:
            async with Db(url) as db, httpx.AsyncClient(base_url=base, timeout=60) as client:
                arrivals = await measure_arrivals(client, bare, receiver, args.arrivals)
                print(f"done: {engine}, commit to arrival", file=sys.stderr)
                proposals = await measure_proposals(client, bare, receiver, db, args)
                print(f"done: {engine}, proposals", file=sys.stderr)
                group = await new_group(client, receiver, [])
                # the deliveries' news: a proposal made before the group had destinations
                event = await group.propose(client, "Drain", Timings(""))
                prefix = tagged("drain")
                await group.connect(
                    client, receiver, [f"{prefix}/{i}" for i in range(args.destinations)]
                )
                drain_bare = Timings("bare PUT /bare")
                await bare_turn(client, bare, 100, drain_bare)
                drains = []
                for _ in range(args.drains):
                    drains.append(
                        await drain_queued(url, work, db, receiver, group, event, args.deliveries)
                    )
                    await bare_turn(client, bare, 100, drain_bare)
                if args.fanout:
                    drains.append(await drain_fanned_out(client, db, receiver, group, args.fanout))
                    await bare_turn(client, bare, 100, drain_bare)
                print(f"done: {engine}, sending", file=sys.stderr)
                return EngineFigures(engine, arrivals, proposals, drains, drain_bare)

        return asyncio.run(measure())


# --- the report ----------------------------------------------------------------------------


def _row(engine: str, t: Timings, extra: str = "") -> None:
    print(
        f"{engine:<11} {t.label:<28} {len(t.ms):>4} {t.p50:>8.2f} {statistics.mean(t.ms):>8.2f} "
        f"{t.p99:>8.2f} {max(t.ms):>8.2f} {extra}".rstrip()
    )


def _latency_header(extra: str = "") -> None:
    header = (
        f"{'engine':<11} {'':<28} {'n':>4} {'p50 ms':>8} {'mean ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {extra}"
    ).rstrip()
    print(header)
    print("-" * len(header))


def report(figures: list[EngineFigures], args: argparse.Namespace) -> None:
    print(
        f"\n1. Commit to arrival: {args.arrivals} proposals, one at a time, in a group with one "
        "destination, from the response to the delivery's arrival at the receiver (after a "
        "first proposal, shown apart)"
    )
    _latency_header()
    for f in figures:
        for t in (f.arrivals.bare, f.arrivals.proposal, f.arrivals.arrival, f.arrivals.first):
            _row(f.engine, t)

    print(
        f"\n2. POST /groups/{{id}}/events, {args.rounds} rounds of {args.proposals} back to "
        f"back per row, by turns, the outbox drained after each (x 0: over 0 destinations)"
    )
    _latency_header(f"{'p50 x 0':>8} {'mean x 0':>8} {'p99 x 0':>8}")
    for f in figures:
        p = f.proposals
        _row(f.engine, p.bare)
        _row(f.engine, p.quiet)
        mean = statistics.mean(p.hooked.ms) / statistics.mean(p.quiet.ms)
        _row(
            f.engine,
            p.hooked,
            f"{p.hooked.p50 / p.quiet.p50:>8.2f} {mean:>8.2f} {p.hooked.p99 / p.quiet.p99:>8.2f}",
        )
        print(
            f"{f.engine:<11} (of the {p.queued} deliveries those proposals made, "
            f"{p.sent_meanwhile} arrived while they were being made)"
        )

    print(
        f"\n3. Sending: {args.deliveries} queued webhook deliveries over {args.destinations} "
        f"destinations, drained by one worker into the receiver ({args.drains} times), then "
        f"{args.fanout} proposals fanned out to them (bare: turns of 100 around each)"
    )
    header = (
        f"{'engine':<11} {'':<26} {'n':>5} {'bytes':>6} {'queue s':>8} {'first s':>8} "
        f"{'deliv/s':>8} {'overall':>8} {'bare p50 ms':>12} {'bare req/s':>11}"
    )
    print(header)
    print("-" * len(header))
    for f in figures:
        for d in f.drains:
            print(
                f"{f.engine:<11} {d.label:<26} {d.deliveries:>5} {d.size:>6} {d.queue_s:>8.2f} "
                f"{d.first_s:>8.2f} {d.rate:>8.0f} {d.overall:>8.0f} {f.drain_bare.p50:>12.2f} "
                f"{1000 / statistics.mean(f.drain_bare.ms):>11.0f}   outbox: {d.outbox}"
            )
    print(
        "(first s: from the commit, or the first proposal, to the first arrival; deliv/s: "
        "from the first arrival to the last; overall: from the commit, or the first "
        "proposal, to the last)"
    )

    print("\nTargets")
    for f in figures:
        rates = [d.rate for d in f.drains[: args.drains]]
        print(
            f"{f.engine:<11} sending >= {DELIVERY_TARGET:.0f} deliveries/s: "
            f"{verdict(min(rates) >= DELIVERY_TARGET)} "
            f"({', '.join(f'{r:.0f}/s' for r in rates)}"
            + (f"; fanned out from proposals {f.drains[-1].rate:.0f}/s" if args.fanout else "")
            + ")"
        )
        p = f.proposals
        ratio = p.hooked.p50 / p.quiet.p50
        print(
            f"{f.engine:<11} propose with {p.hooks} destinations <= {COST_TARGET} x without at "
            f"p50: {verdict(ratio <= COST_TARGET)} ({ratio:.2f} x; mean "
            f"{statistics.mean(p.hooked.ms) / statistics.mean(p.quiet.ms):.2f} x, p99 "
            f"{p.hooked.p99 / p.quiet.p99:.2f} x)"
        )
        print(
            f"{f.engine:<11} commit to arrival p50: {f.arrivals.arrival.p50:.0f} ms "
            f"(p99 {f.arrivals.arrival.p99:.0f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer of everything")
    parser.add_argument("--deliveries", type=int, default=2000, help="queued per drain")
    parser.add_argument("--drains", type=int, default=2)
    parser.add_argument("--destinations", type=int, default=10, help="of the drains' group")
    parser.add_argument("--fanout", type=int, default=100, help="proposals; 0: none")
    parser.add_argument("--arrivals", type=int, default=50)
    parser.add_argument("--hooks", type=int, default=5, help="destinations, for the cost")
    parser.add_argument("--proposals", type=int, default=40, help="back to back, per turn")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--seconds", type=int, help=argparse.SUPPRESS)  # all.py's, unused
    # internal: queue webhook deliveries in this process (see queue_deliveries)
    parser.add_argument("--queue-deliveries", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--to-hooks", help=argparse.SUPPRESS)
    parser.add_argument("--news", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.queue_deliveries is not None:
        hooks = [int(h) for h in args.to_hooks.split(",")]
        news = json.loads(Path(args.news).read_text())
        asyncio.run(queue_deliveries(args.queue_deliveries, hooks, news))
        return
    if args.quick:
        args.deliveries, args.drains, args.fanout = 500, 1, 30
        args.arrivals, args.proposals, args.rounds = 15, 15, 3

    # The served process may post to the receiver, on 127.0.0.1 over http (the servers
    # take this process's environment).
    os.environ["RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE"] = "true"
    work = workdir()
    figures = []
    for engine in engines(args.engines, args.pg_server):
        started = time.monotonic()
        figures.append(run_engine(engine, args, work))
        print(f"done: {engine} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    report(figures, args)
    shutil.rmtree(work, ignore_errors=True)  # a failed run keeps its logs


if __name__ == "__main__":
    main()
