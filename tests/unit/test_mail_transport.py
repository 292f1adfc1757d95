"""Mail transports against a real SMTP server (aiosmtpd) and a real folder."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from rendezvous.mail.transport import (
    FileTransport,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
    transport_for,
)
from rendezvous.settings import MailUrl, parse_mail_url

HOST = "127.0.0.1"


def _message(subject: str = "Hello") -> bytes:
    return (
        "From: Rendezvous <invites@meet.test>\r\n"
        "To: Ada <ada@example.org>\r\n"
        f"Subject: {subject}\r\n"
        "Message-ID: <1@meet.test>\r\n"
        "\r\n"
        "Saturday, 3 pm.\r\n"
        ".A line starting with a dot.\r\n"
    ).encode()


@dataclass
class Delivery:
    sender: str
    recipients: list[str]
    content: bytes
    peer: Any  # the client's (address, port): one per connection
    tls: bool
    login: bytes | None


@dataclass
class Recorder:
    """An aiosmtpd handler that keeps what it is given and answers as told."""

    deliveries: list[Delivery] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> reply
    mail_replies: list[str] = field(default_factory=list)  # replies to MAIL FROM, then 250

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_replies:
            return self.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.deliveries.append(
            Delivery(
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.peer,
                # STARTTLS sets session.ssl; implicit TLS shows on the transport only.
                session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                session.auth_data.login if session.auth_data else None,
            )
        )
        return "250 Accepted"

    @property
    def connections(self) -> int:
        return len({delivery.peer for delivery in self.deliveries})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"s3cret:pw"
    # handled=False: aiosmtpd answers the 535 itself.
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def start_server(recorder: Recorder) -> Iterator[Any]:
    """Starts aiosmtpd servers (on a free port unless told) and stops them at the end."""
    running: list[Controller] = []

    def start(port: int | None = None, **kwargs: Any) -> Controller:
        controller = Controller(recorder, hostname=HOST, port=port or _free_port(), **kwargs)
        controller.start()
        running.append(controller)
        return controller

    yield start
    for controller in running:
        if controller._thread is not None:
            controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
         "-addext", f"subjectAltName=IP:{HOST},DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def client_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def _url(controller: Controller, scheme: str = "smtp", userinfo: str = "") -> MailUrl:
    return parse_mail_url(f"{scheme}://{userinfo}{HOST}:{controller.port}")


async def test_plain_smtp_delivers_the_bytes_to_the_envelope_not_the_headers(
    start_server, recorder
):
    transport = SmtpTransport(_url(start_server()))
    try:
        await transport.send(_message(), "bounces@meet.test", ["ada@example.org", "bcc@x.test"])
    finally:
        await transport.close()
    [delivery] = recorder.deliveries
    assert delivery.sender == "bounces@meet.test"
    assert delivery.recipients == ["ada@example.org", "bcc@x.test"]
    assert delivery.content == _message()
    assert not delivery.tls


async def test_messages_share_one_kept_connection(start_server, recorder):
    transport = SmtpTransport(_url(start_server()))
    try:
        await transport.send(_message("1"), "a@meet.test", ["ada@example.org"])
        await transport.send(_message("2"), "a@meet.test", ["ada@example.org"])
        # Concurrent sends take turns on it rather than open their own.
        await asyncio.gather(
            *(transport.send(_message(str(n)), "a@meet.test", ["b@x.test"]) for n in range(3, 7))
        )
    finally:
        await transport.close()
    assert len(recorder.deliveries) == 6
    assert recorder.connections == 1


async def test_logs_in_with_the_urls_username_and_password(start_server, recorder):
    controller = start_server(authenticator=_authenticate, auth_require_tls=False)
    transport = transport_for(_url(controller, userinfo="robot%40meet.test:s3cret%3Apw@"))
    try:
        await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()
    assert recorder.deliveries[0].login == b"robot@meet.test"


async def test_a_wrong_password_may_pass_once_the_settings_are_fixed(start_server, recorder):
    controller = start_server(authenticator=_authenticate, auth_require_tls=False)
    transport = SmtpTransport(_url(controller, userinfo="robot:wrong@"))
    try:
        with pytest.raises(TemporaryFailure):
            await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()
    assert recorder.deliveries == []


async def test_a_5xx_is_permanent_and_a_4xx_temporary(start_server, recorder):
    recorder.refuse = {
        "gone@x.test": "550 5.1.1 No such user",
        "later@x.test": "451 4.3.0 Try again later",
    }
    transport = SmtpTransport(_url(start_server()))
    try:
        with pytest.raises(PermanentFailure, match="550"):
            await transport.send(_message(), "a@meet.test", ["gone@x.test"])
        with pytest.raises(TemporaryFailure, match="451"):
            await transport.send(_message(), "a@meet.test", ["later@x.test"])
        # Some refused for good, some maybe not: worth another try.
        with pytest.raises(TemporaryFailure):
            await transport.send(_message(), "a@meet.test", ["gone@x.test", "later@x.test"])
        # The failures dropped the connection; the next send opens a new one and goes through.
        await transport.send(_message(), "a@meet.test", ["ada@example.org", "gone@x.test"])
    finally:
        await transport.close()
    [delivery] = recorder.deliveries
    assert delivery.recipients == ["ada@example.org"]


async def test_addresses_beyond_ascii_need_smtputf8(start_server, recorder):
    transport = SmtpTransport(_url(start_server()))
    old_server = SmtpTransport(_url(start_server(enable_SMTPUTF8=False)))
    try:
        await transport.send(_message(), "a@meet.test", ["zoë@exämple.org"])
        with pytest.raises(PermanentFailure, match="SMTPUTF8"):
            await old_server.send(_message(), "a@meet.test", ["zoë@exämple.org"])
    finally:
        await transport.close()
        await old_server.close()
    [delivery] = recorder.deliveries
    assert delivery.recipients == ["zoë@exämple.org"]


async def test_no_server_listening_is_temporary():
    transport = SmtpTransport(MailUrl("smtp", host=HOST, port=_free_port()))
    try:
        with pytest.raises(TemporaryFailure, match="cannot connect"):
            await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()


async def test_a_restarted_server_gets_the_next_message_on_a_new_connection(start_server, recorder):
    controller = start_server()
    transport = SmtpTransport(_url(controller))
    try:
        await transport.send(_message("1"), "a@meet.test", ["ada@example.org"])
        controller.stop()
        start_server(port=controller.port)
        await transport.send(_message("2"), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()
    assert len(recorder.deliveries) == 2
    assert recorder.connections == 2


async def test_a_421_on_the_kept_connection_is_retried_once_on_a_new_one(start_server, recorder):
    transport = SmtpTransport(_url(start_server()))
    try:
        await transport.send(_message("1"), "a@meet.test", ["ada@example.org"])
        recorder.mail_replies = ["421 4.4.2 Idle too long, closing"]
        await transport.send(_message("2"), "a@meet.test", ["ada@example.org"])
        # On a fresh connection a 421 is just a temporary failure: no endless retrying.
        recorder.mail_replies = ["421 4.3.2 Shutting down"] * 2
        await transport.close()
        with pytest.raises(TemporaryFailure, match="421"):
            await transport.send(_message("3"), "a@meet.test", ["ada@example.org"])
        assert recorder.mail_replies == ["421 4.3.2 Shutting down"]
    finally:
        await transport.close()
    assert len(recorder.deliveries) == 2
    assert recorder.connections == 2


async def test_starttls_is_used_and_required(start_server, recorder, server_tls, client_tls):
    controller = start_server(tls_context=server_tls, require_starttls=True)
    transport = transport_for(_url(controller, "smtp+starttls"), client_tls)
    try:
        await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()
    assert recorder.deliveries[0].tls

    plain = SmtpTransport(_url(start_server(), "smtp+starttls"), client_tls)
    try:
        with pytest.raises(TemporaryFailure, match="STARTTLS"):
            await plain.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await plain.close()
    assert len(recorder.deliveries) == 1


async def test_implicit_tls_checks_the_certificate(start_server, recorder, server_tls, client_tls):
    controller = start_server(ssl_context=server_tls)
    transport = SmtpTransport(_url(controller, "smtps"), client_tls)
    try:
        await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await transport.close()
    assert recorder.deliveries[0].tls

    # Without trusting the self-signed certificate: a TLS error, which may pass.
    untrusting = SmtpTransport(_url(controller, "smtps"))
    try:
        with pytest.raises(TemporaryFailure):
            await untrusting.send(_message(), "a@meet.test", ["ada@example.org"])
    finally:
        await untrusting.close()
    assert len(recorder.deliveries) == 1


async def test_close_never_raises(start_server):
    await SmtpTransport(MailUrl("smtp", host=HOST, port=1)).close()
    controller = start_server()
    transport = SmtpTransport(_url(controller))
    await transport.send(_message(), "a@meet.test", ["ada@example.org"])
    controller.stop()
    await transport.close()
    await transport.close()


async def test_files_one_parseable_eml_per_message_into_a_new_folder(tmp_path):
    folder = tmp_path / "mail" / "out"
    transport = transport_for(parse_mail_url(f"file://{folder}"))
    assert isinstance(transport, FileTransport)
    await transport.send(_message("first"), "bounces@meet.test", ["ada@example.org"])
    await transport.send(_message("second"), "bounces@meet.test", ["b@x.test", "c@x.test"])
    await transport.close()

    files = sorted(folder.iterdir())
    assert [file.suffix for file in files] == [".eml", ".eml"]  # and no temporary files
    first, second = (message_from_bytes(f.read_bytes(), policy=policy.default) for f in files)
    assert first["Subject"] == "first"
    assert second["Subject"] == "second"
    assert second["Return-Path"] == "<bounces@meet.test>"
    assert second["X-Envelope-To"] == "b@x.test, c@x.test"
    assert second.get_content().splitlines() == ["Saturday, 3 pm.", ".A line starting with a dot."]


async def test_an_unwritable_folder_is_temporary(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    transport = FileTransport(blocker / "mail")
    with pytest.raises(TemporaryFailure):
        await transport.send(_message(), "a@meet.test", ["ada@example.org"])
