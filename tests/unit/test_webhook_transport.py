"""The webhook sender against a real HTTP server on loopback: statuses and Retry-After, no
redirects, time and size limits, the checked address used with the original Host and TLS name."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from rendezvous.webhooks import guard, transport
from rendezvous.webhooks.transport import Response, Sender, Unreachable, parse_retry_after

HOST = "127.0.0.1"
NAME = "chat.example.test"


@dataclass
class Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class Server:
    """A bare HTTP/1.1 server: records each request, then lets `handler` answer it."""

    handler: Handler
    port: int = 0
    requests: list[Seen] = field(default_factory=list)
    connections: int = 0
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
            method, target, _version = request_line.split(" ")
            headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            self.requests.append(seen)
            await self.handler(seen, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def reply(status: int, *headers: str, body: bytes = b"") -> Handler:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> None:
        head = [f"HTTP/1.1 {status} Whatever", f"Content-Length: {len(body)}", *headers]
        writer.write("\r\n".join([*head, "", ""]).encode() + body)
        await writer.drain()

    return handler


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    started: list[tuple[Server, asyncio.Server]] = []

    async def start(
        handler: Handler, host: str = HOST, tls: ssl.SSLContext | None = None
    ) -> Server:
        server = Server(handler)
        listener = await asyncio.start_server(server.serve, host, 0, ssl=tls)
        server.port = listener.sockets[0].getsockname()[1]
        started.append((server, listener))
        return server

    yield start
    for server, listener in started:
        listener.close()
        for task in server.tasks:
            task.cancel()
        await asyncio.gather(*server.tasks, return_exceptions=True)
        await listener.wait_closed()


@pytest.fixture
async def senders() -> AsyncIterator[Callable[..., Sender]]:
    made: list[Sender] = []

    def make(allow_private: bool = True, tls_context: ssl.SSLContext | None = None) -> Sender:
        made.append(Sender(allow_private=allow_private, tls_context=tls_context))
        return made[-1]

    yield make
    for sender in made:
        await sender.close()


@pytest.fixture
def name_resolves_to_loopback(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """NAME, and any name ending in .example.test, resolve to the given loopback addresses."""
    answers = [HOST]

    async def resolve(host: str, port: int) -> list[guard.Address]:
        if host.endswith(".example.test"):
            return [ipaddress.ip_address(a) for a in answers]
        return [ipaddress.ip_address(host)]

    monkeypatch.setattr(guard, "resolve", resolve)
    return answers


@pytest.fixture
def short_total_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT_S", 1.0)
    return 1.0


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (200, None, None),
        (204, None, None),
        (410, None, None),
        (500, "120", 120.0),
        (429, "30", 30.0),
        (429, "soon", None),
    ],
)
async def test_the_status_and_retry_after_come_back(
    serve, senders, status: int, retry_after: str | None, expected: float | None
) -> None:
    headers = [f"Retry-After: {retry_after}"] if retry_after else []
    server = await serve(reply(status, *headers, body=b'{"ok": true}'))
    response = await senders().send("POST", f"http://{HOST}:{server.port}/hook", {}, b"{}")
    assert response == Response(status, expected)


async def test_retry_after_as_an_http_date(serve, senders) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    server = await serve(reply(503, f"Retry-After: {when}"))
    response = await senders().send("POST", f"http://{HOST}:{server.port}/", {}, b"")
    assert response.status == 503
    assert response.retry_after is not None
    assert 85 <= response.retry_after <= 90


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("99999999999", transport.MAX_RETRY_AFTER_S),
        ("-5", None),
        ("1.5", None),
        ("٣", None),  # a digit, but not an ASCII one
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
        ("Sun, 06 Dec 2026 12:01:00 GMT", 60.0),
        ("Sun, 06 Dec 2026 12:01:00 -0000", 60.0),
        ("Sun, 06 Dec 2026 14:00:00 +0200", 0.0),
        ("Mon, 07 Dec 2026 12:00:00 GMT", transport.MAX_RETRY_AFTER_S),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


async def test_redirects_are_returned_not_followed(serve, senders) -> None:
    server = await serve(reply(302, "Location: /elsewhere"))
    response = await senders().send("POST", f"http://{HOST}:{server.port}/hook", {}, b"{}")
    assert response.status == 302
    assert [seen.target for seen in server.requests] == ["/hook"]


async def test_method_body_headers_and_path_arrive_intact(
    serve, senders, name_resolves_to_loopback
) -> None:
    server = await serve(reply(200))
    body = bytes(range(256)) * 4
    url = f"http://{NAME}:{server.port}/send/m.room.message/42?access=T0K3N"
    headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    response = await senders().send("PUT", url, headers, body)
    assert response.status == 200
    [seen] = server.requests
    assert (seen.method, seen.target, seen.body) == (
        "PUT",
        "/send/m.room.message/42?access=T0K3N",
        body,
    )
    # The name was never looked up again (it does not exist): the checked address was used,
    # with the Host the URL names.
    assert seen.headers["host"] == f"{NAME}:{server.port}"
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"] == "Bearer x"
    assert seen.headers["user-agent"] == "Rendezvous-Webhooks/1"


async def test_the_next_checked_address_is_tried_when_one_refuses(
    serve, senders, name_resolves_to_loopback
) -> None:
    server = await serve(reply(204))
    name_resolves_to_loopback[:] = ["127.0.0.2", HOST]  # nothing listens on 127.0.0.2
    response = await senders().send("POST", f"http://{NAME}:{server.port}/", {}, b"")
    assert response.status == 204
    assert len(server.requests) == 1


async def test_ipv6_addresses_are_bracketed(serve, senders) -> None:
    try:
        server = await serve(reply(200), host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    response = await senders().send("POST", f"http://[::1]:{server.port}/v6", {}, b"")
    assert response.status == 200
    assert server.requests[0].headers["host"] == f"[::1]:{server.port}"


async def test_a_private_address_is_refused_before_any_connection(serve, senders) -> None:
    server = await serve(reply(200))
    for scheme in ("https", "http"):
        with pytest.raises(guard.Refused):
            await senders(allow_private=False).send(
                "POST", f"{scheme}://{HOST}:{server.port}/hook", {}, b""
            )
    assert server.connections == 0


async def test_connection_refused_is_unreachable_and_names_the_host_only(senders) -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind((HOST, 0))
        port = bound_not_listening.getsockname()[1]
        with pytest.raises(Unreachable) as caught:
            await senders().send("POST", f"http://{HOST}:{port}/hooks/S3CR3T?t=T0K3N", {}, b"")
    assert HOST in str(caught.value)
    assert "S3CR3T" not in str(caught.value)
    assert "T0K3N" not in str(caught.value)


async def test_a_name_that_does_not_resolve_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, senders
) -> None:
    async def resolve(host: str, port: int) -> list[guard.Address]:
        raise guard.Unresolvable(f"{host} cannot be resolved")

    monkeypatch.setattr(guard, "resolve", resolve)
    with pytest.raises(Unreachable, match=re.escape(NAME)):
        await senders().send("POST", f"https://{NAME}/hook", {}, b"")


async def _assert_cut_after(seconds: float, sending: Awaitable[Response]) -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable):
        await sending
    elapsed = time.monotonic() - started
    assert seconds - 0.1 <= elapsed < seconds + 2.0  # slack for a loaded machine


async def test_a_slow_receiver_is_unreachable(serve, senders, short_total_timeout) -> None:
    async def sleepy(seen: Seen, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await serve(sleepy)
    sending = senders().send("POST", f"http://{HOST}:{server.port}/", {}, b"{}")
    await _assert_cut_after(short_total_timeout, sending)


async def test_a_slow_drip_body_is_cut_by_the_total_timeout(
    serve, senders, short_total_timeout
) -> None:
    async def drip(seen: Seen, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while True:  # each byte well within httpx's per-read timeout
            writer.write(b".")
            await writer.drain()
            await asyncio.sleep(0.3)

    server = await serve(drip)
    await _assert_cut_after(
        short_total_timeout, senders().send("POST", f"http://{HOST}:{server.port}/", {}, b"")
    )


async def test_a_huge_body_is_not_read_whole(serve, senders) -> None:
    size, chunk = 50 * 1024 * 1024, b"x" * 65536
    sent = 0

    async def huge(seen: Seen, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        writer.write(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
        while sent < size:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)

    server = await serve(huge)
    started = time.monotonic()
    response = await senders().send("POST", f"http://{HOST}:{server.port}/", {}, b"")
    assert response.status == 200
    assert time.monotonic() - started < 3.0
    # The server finds the connection closed long before the end of the body.
    await asyncio.wait_for(asyncio.gather(*server.tasks), timeout=5)
    assert sent < size // 2


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", f"/CN={NAME}", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName=DNS:{NAME}"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_uses_the_real_name_for_sni_and_the_certificate(
    serve, senders, name_resolves_to_loopback, certificate: tuple[Path, Path]
) -> None:
    server_names: list[str | None] = []
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(*certificate)
    server_tls.sni_callback = lambda _socket, name, _context: server_names.append(name)
    server = await serve(reply(200), tls=server_tls)
    sender = senders(tls_context=ssl.create_default_context(cafile=str(certificate[0])))

    response = await sender.send("POST", f"https://{NAME}:{server.port}/hook", {}, b"{}")
    assert response.status == 200
    assert server_names == [NAME]
    assert server.requests[0].headers["host"] == f"{NAME}:{server.port}"

    # The same server under a name its certificate does not carry: verification still on.
    with pytest.raises(Unreachable, match=re.escape("other.example.test")):
        await sender.send("POST", f"https://other.example.test:{server.port}/hook", {}, b"{}")
    assert len(server.requests) == 1
