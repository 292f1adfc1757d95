"""Unit tests of rendezvous.mail.inbound: finding the calendars in replies as Gmail,
Outlook, Apple Mail and Thunderbird send them, and the SMTP/LMTP server that takes them
(run on the test's loop, spoken to by aiosmtplib or by hand for LMTP)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import aiosmtplib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from rendezvous.calendars.ics import InvalidCalendar, parse_reply
from rendezvous.core.errors import Unavailable
from rendezvous.mail.inbound import (
    MAX_MESSAGE_BYTES,
    ReplyHandler,
    calendar_parts,
    reply_local_part,
    serve,
)
from tests.mail_samples import (
    CLIENTS,
    apple_reply,
    gmail_reply,
    leaf,
    multipart,
    not_a_calendar,
    outlook_reply,
    thunderbird_reply,
)
from tests.mailbox import LmtpClient

DOMAIN = "mail.rendezvous.test"
SECRET = "r_Zx8-Kq2_LmN0pQ"
REPLY_TO = f"rsvp-{SECRET}@{DOMAIN}"
FROM = "zoe@example.org"
UID = "3f2a9c1e-7b4d-4e8a-9c2b-5d6e7f8a9b0c@rendezvous.test"


def sample(client: Callable[..., bytes], **kwargs: object) -> bytes:
    arguments: dict[str, object] = {
        "from_address": FROM,
        "to_address": REPLY_TO,
        "uid": UID,
        "sequence": 2,
        "attendee_address": FROM,
        "partstat": "ACCEPTED",
    }
    return client(**(arguments | kwargs))


def only_calendar(raw: bytes) -> bytes:
    parts = calendar_parts(raw)
    assert len(parts) == 1, parts
    return parts[0]


def attendee_name(calendar: bytes) -> str:
    vevent = Calendar.from_ical(calendar.decode("utf-8")).walk("VEVENT")[0]
    return str(vevent["ATTENDEE"].params["CN"])


# --- calendar_parts ----------------------------------------------------------------------


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize(
    ("partstat", "comment", "guests"),
    [
        ("ACCEPTED", None, None),
        ("TENTATIVE", "Late, maybe; 20 min\nSorry!", 2),
        ("DECLINED", "Désolée, je suis à Zürich ☃", None),
    ],
)
def test_each_client_shape_gives_one_readable_reply(
    client: str, partstat: str, comment: str | None, guests: int | None
) -> None:
    calendar = only_calendar(
        sample(CLIENTS[client], partstat=partstat, comment=comment, guests=guests)
    )

    assert calendar.startswith(b"BEGIN:VCALENDAR\r\n")
    assert calendar.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in calendar.replace(b"\r\n", b"")
    reply = parse_reply(calendar)
    assert (reply.uid, reply.sequence, reply.partstat) == (UID, 2, partstat)
    assert reply.attendee == f"mailto:{FROM}"
    # Outlook ends its COMMENT with a line break of its own.
    assert (reply.comment.rstrip("\n") if reply.comment else reply.comment) == comment
    # Google always counts guests, 0 when there are none; the others only when asked.
    assert reply.guests == (guests or 0 if client == "gmail" else guests)


def test_duplicates_sent_as_alternative_and_attachment_count_once() -> None:
    for client in (gmail_reply, thunderbird_reply):
        raw = sample(client)
        assert raw.count(b"method=REPLY") + raw.count(b'name="invite.ics"') >= 2
        only_calendar(raw)


@pytest.mark.parametrize(
    ("charset", "transfer_encoding"),
    [
        ("utf-8", "quoted-printable"),
        ("utf-8", "base64"),
        ("windows-1252", "quoted-printable"),
        ("iso-8859-1", "quoted-printable"),
        ("iso-8859-1", "base64"),
        ("utf-16", "base64"),
        ("utf-8", "8bit"),
    ],
)
def test_any_charset_and_transfer_encoding_comes_back_as_utf8(
    charset: str, transfer_encoding: str
) -> None:
    raw = sample(
        outlook_reply,
        name="Zoë Brontë-Ørsted",
        comment="À bientôt",
        charset=charset,
        transfer_encoding=transfer_encoding,
    )
    assert f'charset="{charset}"'.encode() in raw

    calendar = only_calendar(raw)

    assert attendee_name(calendar) == "Zoë Brontë-Ørsted"
    assert "À bientôt" in (parse_reply(calendar).comment or "")


def test_iso_8859_1_is_read_as_windows_1252_as_mail_clients_mean_it() -> None:
    name = "O\u2019Brien"  # windows-1252 0x92, a C1 control in ISO-8859-1
    raw = sample(outlook_reply, name=name, comment="5 € for snacks", charset="windows-1252")
    labelled = raw.replace(b'charset="windows-1252"', b'charset="iso-8859-1"')

    calendar = only_calendar(labelled)

    assert attendee_name(calendar) == name
    assert parse_reply(calendar).comment == "5 € for snacks"


def test_a_wrongly_declared_charset_falls_back() -> None:
    body = "BEGIN:VCALENDAR\r\nX-NAME:Zoë\r\nEND:VCALENDAR\r\n"
    claims_utf8 = leaf("text/calendar; charset=utf-8", body.encode("windows-1252"), "8bit")
    says_nothing = leaf("text/calendar", body.encode("utf-8"), "base64")
    raw = multipart("mixed", "b1", [claims_utf8, says_nothing])

    assert calendar_parts(raw) == [body.encode("utf-8")]


def test_utf16_with_its_byte_order_mark_and_any_label() -> None:
    body = "BEGIN:VCALENDAR\r\nX-NAME:Zoë\r\nEND:VCALENDAR\r\n"
    raw = multipart(
        "mixed", "b1", [leaf("text/calendar; charset=us-ascii", body.encode("utf-16"), "base64")]
    )

    assert calendar_parts(raw) == [body.encode("utf-8")]


def test_apple_mail_sends_7bit_or_quoted_printable() -> None:
    plain = sample(apple_reply, attendee_address="zoe@example.org", name="Zoe")
    accented = sample(apple_reply, name="Zoë")

    assert b"Content-Transfer-Encoding: 7bit" in plain and b"X-Mailer: Apple Mail" in plain
    assert b"Content-Transfer-Encoding: quoted-printable" in accented
    assert attendee_name(only_calendar(plain)) == "Zoe"
    assert attendee_name(only_calendar(accented)) == "Zoë"


def test_outlook_writes_the_address_in_capitals() -> None:
    reply = parse_reply(only_calendar(sample(outlook_reply, upper_case_address=True)))

    assert reply.attendee == f"mailto:{FROM.upper()}"


def test_ics_attachments_of_any_type_and_forwarded_messages_are_found() -> None:
    calendar = only_calendar(sample(apple_reply))
    octets = leaf(
        'application/octet-stream; name="Reply.ICS"',
        calendar,
        "base64",
        [("Content-Disposition", 'attachment; filename="Reply.ICS"')],
    )
    forwarded = b"Content-Type: message/rfc822\r\n\r\n" + sample(gmail_reply, partstat="DECLINED")
    text = leaf("text/plain; charset=utf-8", b"See below.", "7bit")
    raw = multipart("mixed", "outer", [text, multipart("mixed", "inner", [octets]), forwarded])

    parts = calendar_parts(raw)

    assert [parse_reply(part).partstat for part in parts] == ["ACCEPTED", "DECLINED"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \r\n\r\n\x80",
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!*\r\n",
        b"Content-Type: text/calendar; charset=no-such-charset\r\n\r\nBEGIN:VCALENDAR\xff\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/calendar",
        b"Content-Type: text/calendar\r\n\r\nHello, this is not a calendar\r\n",
        not_a_calendar(FROM, REPLY_TO),
    ],
)
def test_nothing_usable_gives_nothing(raw: bytes) -> None:
    parts = calendar_parts(raw)

    assert all(part.startswith(b"BEGIN:VCALENDAR") for part in parts)
    for part in parts:
        with pytest.raises(InvalidCalendar):
            parse_reply(part)


@settings(derandomize=True, database=None, max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_calendar_parts_never_raises(raw: bytes) -> None:
    calendar_parts(raw)
    calendar_parts(b"Content-Type: text/calendar; charset=utf-16\r\n\r\n" + raw)


@pytest.mark.parametrize(
    ("address", "secret"),
    [
        (f"rsvp-{SECRET}@{DOMAIN}", SECRET),
        (f"<RSVP-{SECRET}@{DOMAIN.upper()}>", SECRET),
        (f" Rsvp-AbC@{DOMAIN}. ", "AbC"),
        (f"rsvp-@{DOMAIN}", None),
        (f"rsvp-{SECRET}@other.test", None),
        (f"rsvp-{SECRET}@sub.{DOMAIN}", None),
        (f"rsvp-{SECRET}", None),
        (f"hello@{DOMAIN}", None),
        (f"rsvp-a b@{DOMAIN}", None),
        (f'"rsvp-a"@{DOMAIN}', None),
    ],
)
def test_reply_local_part(address: str, secret: str | None) -> None:
    assert reply_local_part(address, DOMAIN) == secret


# --- the server --------------------------------------------------------------------------


@dataclass
class Replies:
    """The caller's side: which secrets exist, and the calendars handed over."""

    known: set[str] = field(default_factory=lambda: {SECRET})
    refuse: Exception | None = None
    applied: list[tuple[str, bytes]] = field(default_factory=list)

    async def knows(self, secret: str) -> bool:
        return secret in self.known

    async def apply(self, secret: str, calendar: bytes) -> None:
        self.applied.append((secret, calendar))
        if self.refuse is not None:
            raise self.refuse

    def handler(self) -> ReplyHandler:
        return ReplyHandler(DOMAIN, self.knows, self.apply)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def running(handler: ReplyHandler, lmtp: bool = False) -> AsyncIterator[int]:
    port = free_port()
    task = asyncio.create_task(serve(handler, "127.0.0.1", port, lmtp))
    try:
        for _ in range(500):
            if task.done():
                task.result()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            break
        yield port
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


async def send(port: int, raw: bytes, *recipients: str) -> tuple[dict[str, object], str]:
    errors, response = await aiosmtplib.send(
        raw, sender=FROM, recipients=list(recipients), hostname="127.0.0.1", port=port
    )
    return dict(errors), response


def oversized() -> bytes:
    line = b"A" * 76 + b"\r\n"
    return not_a_calendar(FROM, REPLY_TO) + line * (11 * 1024 * 1024 // len(line))


async def test_unknown_recipients_are_refused_at_rcpt() -> None:
    replies = Replies()
    async with running(replies.handler()) as port:
        for recipient in (
            f"rsvp-nobody@{DOMAIN}",
            f"hello@{DOMAIN}",
            f"rsvp-{SECRET}@elsewhere.test",
        ):
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
                await send(port, sample(gmail_reply), recipient)
            assert refused.value.recipients[0].code == 550
            assert "No such reply address" in refused.value.recipients[0].message
    assert replies.applied == []


async def test_a_reply_reaches_apply_once_per_calendar() -> None:
    replies = Replies()
    async with running(replies.handler()) as port:
        errors, response = await send(
            port, sample(gmail_reply), f"RSVP-{SECRET}@{DOMAIN.upper()}", f"nope@{DOMAIN}"
        )

    assert response == "OK"
    assert list(errors) == [f"nope@{DOMAIN}"]
    assert replies.applied == [(SECRET, only_calendar(sample(gmail_reply)))]


async def test_mail_without_a_calendar_is_accepted_and_dropped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    replies = Replies()
    with caplog.at_level(logging.INFO, logger="rendezvous.mail_in"):
        async with running(replies.handler()) as port:
            errors, _ = await send(port, not_a_calendar(FROM, REPLY_TO), REPLY_TO)

    assert errors == {}
    assert replies.applied == []
    assert any("no calendar" in record.getMessage() for record in caplog.records)


async def test_a_refused_reply_is_still_accepted_and_logged_briefly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    replies = Replies(refuse=InvalidCalendar("A SEQUENCE older than the event's"))
    with caplog.at_level(logging.INFO, logger="rendezvous.mail_in"):
        async with running(replies.handler()) as port:
            errors, _ = await send(port, sample(outlook_reply, comment="secret note"), REPLY_TO)

    assert errors == {}
    assert len(replies.applied) == 1
    lines = [r.getMessage() for r in caplog.records if r.name == "rendezvous.mail_in"]
    refused = [line for line in lines if "not applied" in line]
    assert len(refused) == 1
    assert f"rsvp-{SECRET[:6]}" in refused[0] and "SEQUENCE older" in refused[0]
    assert not any(SECRET in line or "secret note" in line for line in lines)


async def test_a_failing_apply_is_accepted_and_logged_as_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    replies = Replies(refuse=Unavailable("The database is busy"))
    with caplog.at_level(logging.INFO, logger="rendezvous.mail_in"):
        async with running(replies.handler()) as port:
            errors, response = await send(port, sample(apple_reply), REPLY_TO)

    assert (errors, response) == ({}, "OK")
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert [r.levelno for r in failed] == [logging.WARNING]
    assert "Unavailable: The database is busy" in failed[0].getMessage()


async def test_a_failing_lookup_asks_the_sender_to_retry() -> None:
    replies = Replies()

    async def broken(secret: str) -> bool:
        raise ConnectionError("database away")

    async with running(ReplyHandler(DOMAIN, broken, replies.apply)) as port:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            await send(port, sample(apple_reply), REPLY_TO)

    assert refused.value.recipients[0].code == 451


async def test_messages_over_the_limit_are_refused_with_552() -> None:
    replies = Replies()
    raw = oversized()
    assert len(raw) > MAX_MESSAGE_BYTES
    async with running(replies.handler()) as port:
        # A client that declares the size (aiosmtplib does) is refused at MAIL...
        with pytest.raises(aiosmtplib.SMTPSenderRefused) as early:
            await send(port, raw, REPLY_TO)
        # ...one that does not, after the data.
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
            await client.mail(FROM)
            await client.rcpt(REPLY_TO)
            with pytest.raises(aiosmtplib.SMTPDataError) as late:
                await client.data(raw)
            # The session goes on.
            await client.noop()

    assert early.value.code == 552
    assert late.value.code == 552
    assert replies.applied == []


# --- LMTP ------------------------------------------------------------------------------


@asynccontextmanager
async def lmtp_client(port: int) -> AsyncIterator[LmtpClient]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    client = LmtpClient(reader, writer)
    try:
        assert (await client.reply()).startswith(f"220 {DOMAIN}")
        assert (await client.command("EHLO client.test")).startswith("500")
        assert (await client.command("LHLO client.test")).startswith("250")
        yield client
        assert (await client.command("QUIT")).startswith("221")
    finally:
        writer.close()
        await writer.wait_closed()


async def test_lmtp_answers_data_once_per_recipient() -> None:
    replies = Replies(known={SECRET, "second"})
    async with running(replies.handler(), lmtp=True) as port, lmtp_client(port) as client:
        assert (await client.command(f"MAIL FROM:<{FROM}>")).startswith("250")
        assert (await client.command(f"RCPT TO:<{REPLY_TO}>")).startswith("250")
        assert (await client.command(f"RCPT TO:<nobody@{DOMAIN}>")).startswith("550")
        assert (await client.command(f"RCPT TO:<rsvp-second@{DOMAIN}>")).startswith("250")

        statuses = await client.data(sample(thunderbird_reply), replies=2)

        assert statuses == ["250 OK", "250 OK"]
        # Nothing left over: the next command's reply is its own.
        assert (await client.command("NOOP")).startswith("250")
        calendar = only_calendar(sample(thunderbird_reply))
        assert replies.applied == [(SECRET, calendar), ("second", calendar)]

        # Too big: one refusal per recipient too.
        assert (await client.command(f"MAIL FROM:<{FROM}>")).startswith("250")
        assert (await client.command(f"RCPT TO:<{REPLY_TO}>")).startswith("250")
        assert (await client.command(f"RCPT TO:<rsvp-second@{DOMAIN}>")).startswith("250")
        refusals = await client.data(oversized(), replies=2)
        assert [status[:3] for status in refusals] == ["552", "552"]
        assert (await client.command("NOOP")).startswith("250")
    assert len(replies.applied) == 2
