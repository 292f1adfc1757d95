"""Outgoing mail transports: an SMTP server over one kept connection, or a folder of .eml
files. Failures come out as TemporaryFailure (retry later) or PermanentFailure (don't)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiosmtplib

from rendezvous.settings import MailUrl

log = logging.getLogger(__name__)

# Seconds for connecting and for each SMTP command; RFC 5321 allows servers minutes, but a
# worker stuck that long had better give the message back to the outbox and retry later.
COMMAND_TIMEOUT = 30.0
QUIT_TIMEOUT = 5.0


class TemporaryFailure(Exception):
    """Sending failed in a way that may pass (server down, 4xx, timeout): retry later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): do not retry."""


class Transport(Protocol):
    async def send(self, message: bytes, sender: str, recipients: Sequence[str]) -> None: ...

    async def close(self) -> None: ...


def transport_for(url: MailUrl, tls_context: ssl.SSLContext | None = None) -> Transport:
    """The transport RENDEZVOUS_MAIL_URL names; `tls_context` replaces the system's trust
    store for smtps:// and smtp+starttls:// (a private CA, or a test's self-signed cert)."""
    if url.scheme == "file":
        if url.directory is None:
            raise ValueError("a file:// mail URL needs a directory")
        return FileTransport(url.directory)
    return SmtpTransport(url, tls_context)


class FileTransport:
    """Each message as one .eml file in a folder, for development and for tests."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: bytes, sender: str, recipients: Sequence[str]) -> None:
        try:
            await asyncio.to_thread(self._write, _with_envelope(message, sender, recipients))
        except OSError as exc:
            raise TemporaryFailure(f"cannot write mail into {self.directory}: {exc}") from exc

    async def close(self) -> None:
        pass

    def _write(self, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        # Names sort by time; the uuid keeps messages of one microsecond apart.
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.eml"
        # A reader listing *.eml never sees half a file: written under a dot-name, synced,
        # then renamed in one step (same folder, so same file system).
        temporary = self.directory / f".{name}.tmp"
        try:
            with temporary.open("xb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.directory / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def _with_envelope(message: bytes, sender: str, recipients: Sequence[str]) -> bytes:
    # A file has no envelope, so it goes in as trace headers (Return-Path as a final
    # delivery adds it, RFC 5321 4.4): otherwise Bcc-style recipients would be lost.
    newline = b"\r\n" if b"\r\n" in message else b"\n"
    trace = f"Return-Path: <{sender}>\nX-Envelope-To: {', '.join(recipients)}\n"
    return trace.encode().replace(b"\n", newline) + message


class SmtpTransport:
    """An SMTP server (plain, STARTTLS or implicit TLS, optional login) over one kept
    connection, opened on the first send and shared by concurrent sends in turn."""

    def __init__(self, url: MailUrl, tls_context: ssl.SSLContext | None = None) -> None:
        self.url = url
        self.tls_context = tls_context
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        # aiosmtplib looks the EHLO name up (socket.getfqdn) on each new client: once is enough.
        self._local_hostname: str | None = None

    async def send(self, message: bytes, sender: str, recipients: Sequence[str]) -> None:
        if not recipients:
            raise PermanentFailure("a message needs at least one recipient")
        async with self._lock:
            try:
                await self._send(message, sender, list(recipients))
            except BaseException:
                # After a failure (or a cancellation mid-command) the session's state is
                # unknown: the next send starts on a fresh connection.
                self._drop()
                raise

    async def close(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
            if client is None:
                return
            # Saying goodbye is a courtesy; a server that is gone already is no error here.
            try:
                with contextlib.suppress(Exception):
                    if client.is_connected:
                        await client.quit(timeout=QUIT_TIMEOUT)
            finally:
                client.close()

    async def _send(self, message: bytes, sender: str, recipients: list[str]) -> None:
        while True:
            kept = self._client is not None and self._client.is_connected
            client = await self._connect()
            try:
                await self._transaction(client, message, sender, recipients)
            except (aiosmtplib.SMTPException, OSError) as exc:
                self._drop()
                if kept and _is_dead_connection(exc):
                    # Servers close idle connections (often after a minute or so), which
                    # may go unnoticed until the next command: one more try, on a new
                    # connection, so that this happens at most once per message.
                    log.info("kept SMTP connection to %s was closed; reconnecting", self.url.host)
                    continue
                raise _failure(exc) from exc
            return

    async def _transaction(
        self, client: aiosmtplib.SMTP, message: bytes, sender: str, recipients: list[str]
    ) -> None:
        # Addresses beyond ASCII need the server's SMTPUTF8 extension (RFC 6531).
        utf8 = not all(address.isascii() for address in (sender, *recipients))
        refused, _ = await client.sendmail(
            sender, recipients, message, mail_options=["SMTPUTF8"] if utf8 else []
        )
        if refused:
            # The others have the message: sending it again would give them a second copy.
            log.warning(
                "SMTP server refused some recipients: %s",
                "; ".join(f"{who}: {reply.code} {reply.message}" for who, reply in refused.items()),
            )

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        self._drop()
        url = self.url
        client = aiosmtplib.SMTP(
            hostname=url.host,
            port=url.port,
            username=url.username,
            password=url.password,
            local_hostname=self._local_hostname,
            timeout=COMMAND_TIMEOUT,
            use_tls=url.scheme == "smtps",
            # True makes STARTTLS required (an error when not offered); False keeps smtp://
            # plain, where aiosmtplib would otherwise upgrade (and verify) when offered.
            start_tls=url.scheme == "smtp+starttls",
            tls_context=self.tls_context,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            # Even a 5xx here (greeting, STARTTLS, login) is about the server or our
            # settings, not the message: it may well go through once they are fixed.
            raise TemporaryFailure(
                f"cannot connect to SMTP server {url.host}:{url.port}: {_describe(exc)}"
            ) from exc
        self._local_hostname = client.local_hostname
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _reply_codes(exc: BaseException) -> list[int]:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return [refused.code for refused in exc.recipients]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return [exc.code]
    return []


def _is_dead_connection(exc: BaseException) -> bool:
    # 421: the server is closing the connection (RFC 5321 3.8), e.g. after idling.
    return isinstance(exc, aiosmtplib.SMTPServerDisconnected) or 421 in _reply_codes(exc)


def _failure(exc: BaseException) -> TemporaryFailure | PermanentFailure:
    codes = _reply_codes(exc)
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or (
        codes and all(500 <= code < 600 for code in codes)
    ):
        return PermanentFailure(_describe(exc))
    return TemporaryFailure(_describe(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{type(exc).__name__}: {exc}"
