"""A real SMTP server for the tests (aiosmtpd), keeping what it receives."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def to(self) -> str:
        return self.recipients[0]


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self._box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._box.add(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


class Mailbox:
    """An SMTP server on 127.0.0.1 that keeps every message; `start`/`stop` may be called
    again (a mail server going down and coming back on the same port)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def add(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def start(self) -> Mailbox:
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def all(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.all() if address.lower() in (r.lower() for r in m.recipients)]

    async def wait(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """The messages to `address` once there are `count`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.to(address)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{len(found)} message(s) to {address} after {timeout} s, expected {count}; "
                    f"received for: {[m.recipients for m in self.all()]}"
                )
            await asyncio.sleep(0.02)

    async def wait_for_link(self, address: str, path: str, timeout: float = 10.0) -> str:
        """The latest link to `path` in the mails to `address`, waiting for one."""
        deadline = time.monotonic() + timeout
        while True:
            for received in reversed(self.to(address)):
                with contextlib.suppress(AssertionError):
                    return self.link(received, path)
            if time.monotonic() > deadline:
                raise AssertionError(f"no mail to {address} with a {path} link")
            await asyncio.sleep(0.02)

    def link(self, received: Received, path: str) -> str:
        """The first link in the mail's text whose path starts with `path`."""
        text = _text_of(received.message)
        found = re.search(rf"https?://[^\s<>\"]+{re.escape(path)}[^\s<>\"]*", text)
        assert found, f"no {path} link in: {text[:2000]}"
        return found.group(0)

    def wait_sync_for(
        self, address: str, wanted: Callable[[Received], bool], timeout: float = 10.0
    ) -> Received:
        """The first message to `address` that is `wanted`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            found = [m for m in self.to(address) if wanted(m)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no such message to {address} after {timeout} s")
            time.sleep(0.02)

    def wait_sync(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.to(address))} message(s) to {address}")
            time.sleep(0.02)
        return self.to(address)


class LmtpClient:
    """LMTP by hand (RFC 2033): aiosmtplib reads one reply to DATA, where an LMTP server
    sends one per accepted recipient."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def reply(self) -> str:
        lines = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 60)).decode()
            assert line, "connection closed"
            lines.append(line.rstrip("\r\n"))
            if line[3:4] != "-":
                return "\n".join(lines)

    async def command(self, text: str) -> str:
        self.writer.write(text.encode() + b"\r\n")
        return await self.reply()

    async def data(self, raw: bytes, replies: int) -> list[str]:
        assert (await self.command("DATA")).startswith("354")
        lines = raw.split(b"\r\n")
        if lines[-1] == b"":
            lines.pop()
        stuffed = b"".join(
            (b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines
        )
        self.writer.write(stuffed + b".\r\n")
        return [await self.reply() for _ in range(replies)]


def _text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# The one the test suite's apps send to (tests/conftest.py starts it).
MAILBOX = Mailbox()
