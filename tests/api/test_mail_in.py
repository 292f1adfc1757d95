"""Replies by mail, end to end: a member's invite arrives by real SMTP, their calendar app's
REPLY goes to the reply address in its ORGANIZER, through the real mail-in server (SMTP,
LMTP, and the `rendezvous mail-in` command), and the API shows the RSVP it made."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import smtplib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from icalendar import Calendar

from rendezvous.core.locks import KeyedLock
from rendezvous.mail.inbound import MAX_MESSAGE_BYTES, serve
from rendezvous.mail_in import handler
from tests.helpers import SATURDAYS, Api, Person, propose, rsvp
from tests.mail_samples import (
    CLIENTS,
    apple_reply,
    gmail_reply,
    not_a_calendar,
    outlook_reply,
    thunderbird_reply,
)
from tests.mailbox import LmtpClient, Mailbox, Received, free_port

OLIVE = "olive@example.org"
BEA = "bea@example.org"


# --- a confirmed meetup and Bea's invite -----------------------------------------------


@dataclass(frozen=True)
class Invite:
    """What Bea's calendar app reads from the invite she was mailed."""

    reply_address: str  # ORGANIZER, without mailto:
    uid: str
    sequence: int


@dataclass(frozen=True)
class Meetup:
    group_id: int
    event_id: int
    olive: Person
    bea: Person
    invite: Invite


def invite_of(raw: Calendar) -> Invite:
    [vevent] = raw.walk("VEVENT")
    organizer = str(vevent["ORGANIZER"])
    assert organizer.lower().startswith("mailto:rsvp-"), organizer
    return Invite(organizer[len("mailto:") :], str(vevent["UID"]), int(str(vevent["SEQUENCE"])))


def calendar_of(mail: Received) -> Calendar | None:
    found = [
        p
        for p in mail.message.walk()
        if p.get_content_type() == "text/calendar" and p.get_filename() is None
    ]
    if not found:
        return None
    payload = found[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


async def nth_invite(mailbox: Mailbox, address: str, count: int) -> Invite:
    """The `count`th invite (a REQUEST with RSVP=TRUE for `address`) mailed to `address`."""
    deadline = time.monotonic() + 10
    while True:
        calendars = [c for mail in mailbox.to(address) if (c := calendar_of(mail)) is not None]
        invites = [c for c in calendars if c["METHOD"] == "REQUEST"]
        if len(invites) >= count:
            break
        assert time.monotonic() < deadline, f"{len(invites)} invite(s) to {address}"
        await asyncio.sleep(0.02)
    calendar = invites[count - 1]
    [vevent] = calendar.walk("VEVENT")
    attendees: Any = vevent["ATTENDEE"]
    mine = [a for a in attendees if a.params.get("RSVP") == "TRUE"]
    assert [str(a) for a in mine] == [f"mailto:{address}"]
    return invite_of(calendar)


async def meetup(api: Api, mailbox: Mailbox) -> Meetup:
    """Olive's group with Bea, both verified; a confirmed meetup, and Bea's invite."""
    olive = await api.verified("Olive", OLIVE, timezone="Europe/London")
    bea = await api.verified("Bea", BEA, timezone="America/New_York")
    group_id = await api.group(olive, "Board gamers")
    await api.join(group_id, olive, bea)
    event = await propose(api, group_id, olive, time_options=SATURDAYS[:1])
    response = await api.post(f"/events/{event['id']}/confirm", olive, json={})
    assert response.status_code == 200, response.text
    invite = await nth_invite(mailbox, BEA, 1)
    assert invite.sequence == response.json()["sequence"]
    return Meetup(group_id, event["id"], olive, bea, invite)


async def answers(api: Api, m: Meetup) -> dict[int, dict[str, Any]]:
    """The event's RSVPs by member, as Olive sees them."""
    response = await api.get(f"/events/{m.event_id}/rsvps", m.olive)
    assert response.status_code == 200, response.text
    return {item["user_id"]: item for item in response.json()["items"]}


async def beas_answer(api: Api, m: Meetup) -> dict[str, Any] | None:
    return (await answers(api, m)).get(m.bea.id)


def reply(
    client: Callable[..., bytes],
    m: Meetup,
    partstat: str = "ACCEPTED",
    *,
    attendee: str = BEA,
    sequence: int | None = None,
    **kwargs: Any,
) -> bytes:
    """Bea's calendar app answering her invite, as `client` writes it."""
    return client(
        BEA,
        m.invite.reply_address,
        m.invite.uid,
        m.invite.sequence if sequence is None else sequence,
        attendee,
        partstat,
        **kwargs,
    )


# --- the mail-in server ----------------------------------------------------------------


async def wait_listening(port: int, task: asyncio.Task[None] | None = None) -> None:
    for _ in range(1000):
        if task is not None and task.done():
            task.result()  # it failed to start: raise its error here
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on port {port}")


@asynccontextmanager
async def mail_in(lmtp: bool = False) -> AsyncIterator[int]:
    """The real mail-in server (rendezvous.mail_in's handler) on this loop; yields its port."""
    port = free_port()
    task = asyncio.create_task(serve(handler(KeyedLock()), "127.0.0.1", port, lmtp))
    try:
        await wait_listening(port, task)
        yield port
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def smtp_port(api: Api) -> AsyncIterator[int]:
    async with mail_in() as port:
        yield port


async def send(port: int, raw: bytes, to: str, sender: str = BEA) -> tuple[dict[str, Any], str]:
    errors, response = await aiosmtplib.send(
        raw, sender=sender, recipients=[to], hostname="127.0.0.1", port=port, timeout=30
    )
    return dict(errors), response


async def refused_at_rcpt(port: int, raw: bytes, to: str) -> aiosmtplib.SMTPRecipientRefused:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await send(port, raw, to)
    [refusal] = refused.value.recipients
    return refusal


# --- replies from each calendar app ----------------------------------------------------

# (client, partstat, comment, guests) -> (status, guests)
ANSWERS = [
    ("gmail", "ACCEPTED", "Bringing Catan", 2, "yes", 2),
    ("outlook", "TENTATIVE", "Running late", None, "maybe", 0),
    ("apple", "DECLINED", "Sorry, I'm away", None, "no", 0),
    ("thunderbird", "ACCEPTED", "Looking forward to it", 1, "yes", 1),
]


@pytest.mark.parametrize(
    ("client", "partstat", "comment", "guests", "status", "seated_guests"),
    ANSWERS,
    ids=[row[0] for row in ANSWERS],
)
async def test_a_calendar_apps_reply_by_mail_becomes_the_members_rsvp(
    api: Api,
    mailbox: Mailbox,
    smtp_port: int,
    client: str,
    partstat: str,
    comment: str,
    guests: int | None,
    status: str,
    seated_guests: int,
) -> None:
    m = await meetup(api, mailbox)
    assert await beas_answer(api, m) is None
    extra: dict[str, Any] = {"comment": comment, "guests": guests}
    if client == "outlook":
        extra["upper_case_address"] = True  # Outlook may write mailto:BEA@EXAMPLE.ORG
    raw = reply(CLIENTS[client], m, partstat, **extra)
    if client == "outlook":
        assert BEA.upper().encode() in raw

    errors, response = await send(smtp_port, raw, m.invite.reply_address)

    assert errors == {} and response.startswith("OK")
    answer = await beas_answer(api, m)
    assert answer is not None
    assert (answer["status"], answer["guests"], answer["waitlisted"]) == (
        status,
        seated_guests,
        False,
    )
    # the note is what was typed (Outlook's trailing line break is dropped)
    assert answer["note"] == comment
    # Olive's own answer is untouched
    assert m.olive.id not in await answers(api, m)


async def test_a_later_reply_replaces_the_earlier_answer_and_keeps_what_it_leaves_out(
    api: Api, mailbox: Mailbox, smtp_port: int
) -> None:
    m = await meetup(api, mailbox)
    to = m.invite.reply_address
    await send(smtp_port, reply(gmail_reply, m, comment="See you", guests=1), to)
    # Thunderbird says nothing of guests or a comment: those stay as they were
    await send(smtp_port, reply(thunderbird_reply, m, "TENTATIVE"), to)
    answer = await beas_answer(api, m)
    assert answer is not None
    assert (answer["status"], answer["guests"], answer["note"]) == ("maybe", 1, "See you")


# --- recipients ------------------------------------------------------------------------


async def test_only_reply_addresses_are_accepted_at_rcpt(
    api: Api, mailbox: Mailbox, smtp_port: int
) -> None:
    m = await meetup(api, mailbox)
    raw = reply(gmail_reply, m)
    local = m.invite.reply_address.split("@")[0]
    for recipient in (
        "rsvp-0123456789abcdef0123456789abcdef@meet.test",  # made up
        "someone@meet.test",  # not a reply address
        f"{local}@elsewhere.test",  # the right secret on another domain
    ):
        refusal = await refused_at_rcpt(smtp_port, raw, recipient)
        assert refusal.code == 550, (recipient, refusal)
    assert await beas_answer(api, m) is None

    # the real one, spelt in capitals as some servers pass it on, is accepted
    errors, _ = await send(smtp_port, raw, m.invite.reply_address.upper())
    assert errors == {}
    assert (await beas_answer(api, m) or {}).get("status") == "yes"


async def test_a_deleted_groups_reply_addresses_are_gone(
    api: Api, mailbox: Mailbox, smtp_port: int
) -> None:
    m = await meetup(api, mailbox)
    response = await api.delete(f"/groups/{m.group_id}", m.olive)
    assert response.status_code == 204, response.text
    refusal = await refused_at_rcpt(smtp_port, reply(gmail_reply, m), m.invite.reply_address)
    assert refusal.code == 550


# --- accepted and dropped: nothing changes ---------------------------------------------


async def assert_dropped(
    api: Api,
    m: Meetup,
    port: int,
    raw: bytes,
    caplog: pytest.LogCaptureFixture,
    because: str,
    to: str | None = None,
) -> None:
    """`raw` to Bea's reply address (or `to`) is accepted (250), changes no RSVP, and
    mail-in logs one line saying why, which names the address only by its start."""
    to = to or m.invite.reply_address
    before = await answers(api, m)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="rendezvous.mail_in"):
        errors, response = await send(port, raw, to)
    assert errors == {} and response.startswith("OK")
    assert await answers(api, m) == before
    [line] = [r.getMessage() for r in caplog.records if r.name == "rendezvous.mail_in"]
    assert because in line, line
    assert to.split("@")[0][:11] in line and to.split("@")[0] not in line, line


async def test_a_mail_without_a_calendar_is_accepted_and_dropped(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    await rsvp(api, m.event_id, m.bea, "maybe", note="keep me")
    raw = not_a_calendar(BEA, m.invite.reply_address)
    await assert_dropped(api, m, smtp_port, raw, caplog, "no calendar")


async def test_a_member_cannot_answer_for_another(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    await rsvp(api, m.event_id, m.bea, "maybe", note="keep me")
    # Olive's address (in any case) at Bea's reply address answers for nobody
    for attendee in (OLIVE, OLIVE.upper(), "stranger@example.org"):
        raw = reply(gmail_reply, m, attendee=attendee)
        await assert_dropped(api, m, smtp_port, raw, caplog, "only answer for yourself")
    assert m.olive.id not in await answers(api, m)
    # Olive's own reply address is hers alone: Bea's address there changes nothing either
    olive_invite = await nth_invite(mailbox, OLIVE, 1)
    assert olive_invite.reply_address != m.invite.reply_address
    to = olive_invite.reply_address
    raw = gmail_reply(BEA, to, m.invite.uid, m.invite.sequence, BEA, "DECLINED")
    await assert_dropped(api, m, smtp_port, raw, caplog, "only answer for yourself", to)


async def test_a_reply_to_an_older_version_changes_nothing(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    await rsvp(api, m.event_id, m.bea, "maybe", note="keep me")
    response = await api.patch(f"/events/{m.event_id}", m.olive, json={"title": "Catan night"})
    assert response.json()["sequence"] == m.invite.sequence + 1
    updated = await nth_invite(mailbox, BEA, 2)
    # the same reply address and UID: calendar apps expect the organizer to stay
    assert (updated.reply_address, updated.uid) == (m.invite.reply_address, m.invite.uid)
    assert updated.sequence == m.invite.sequence + 1

    old = reply(apple_reply, m, "DECLINED")
    await assert_dropped(api, m, smtp_port, old, caplog, "changed since")
    # a version newer than the event's is no answer either
    too_new = reply(gmail_reply, m, "DECLINED", sequence=updated.sequence + 1)
    await assert_dropped(api, m, smtp_port, too_new, caplog, "latest is")

    # answering the update applies
    await send(
        smtp_port,
        reply(gmail_reply, m, "DECLINED", sequence=updated.sequence),
        updated.reply_address,
    )
    assert (await beas_answer(api, m) or {}).get("status") == "no"


async def test_a_reply_to_a_cancelled_event_changes_nothing(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    await rsvp(api, m.event_id, m.bea, "maybe", note="keep me")
    response = await api.post(f"/events/{m.event_id}/cancel", m.olive)
    assert response.status_code == 200, response.text
    # the address still exists (a late reply is not bounced), but answers nothing
    for sequence in (m.invite.sequence, response.json()["sequence"]):
        raw = reply(gmail_reply, m, "ACCEPTED", sequence=sequence)
        await assert_dropped(api, m, smtp_port, raw, caplog, "cancelled")
    assert (await beas_answer(api, m) or {}).get("status") == "maybe"


async def test_a_reply_from_an_address_no_longer_verified_changes_nothing(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    await rsvp(api, m.event_id, m.bea, "maybe", note="keep me")
    response = await api.patch("/me", m.bea, json={"email": "bea@elsewhere.org"})
    assert response.json()["email_verified"] is False

    # neither the old address nor the new, unverified one
    for attendee in (BEA, "bea@elsewhere.org"):
        raw = reply(outlook_reply, m, attendee=attendee)
        await assert_dropped(api, m, smtp_port, raw, caplog, "no verified address")

    # once the new address is verified, it answers at the same reply address
    await api.verify(m.bea, "bea@elsewhere.org")
    raw = reply(outlook_reply, m, attendee=BEA)
    await assert_dropped(api, m, smtp_port, raw, caplog, "only answer for yourself")
    errors, _ = await send(
        smtp_port,
        reply(outlook_reply, m, "DECLINED", attendee="bea@elsewhere.org"),
        m.invite.reply_address,
    )
    assert errors == {}
    assert (await beas_answer(api, m) or {}).get("status") == "no"


async def test_a_member_who_left_the_group_cannot_answer(
    api: Api, mailbox: Mailbox, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    m = await meetup(api, mailbox)
    response = await api.delete(f"/groups/{m.group_id}/members/{m.bea.id}", m.bea)
    assert response.status_code == 204, response.text
    raw = reply(gmail_reply, m)
    await assert_dropped(api, m, smtp_port, raw, caplog, "no longer in the event's group")
    assert await beas_answer(api, m) is None


# --- size ------------------------------------------------------------------------------


def twenty_megabytes(to: str) -> bytes:
    line = b"A" * 996 + b"\r\n"  # SMTP's longest line: fewer lines to read
    raw = not_a_calendar(BEA, to) + line * (20 * 1024 * 1024 // len(line) + 1)
    assert len(raw) > 20 * 1024 * 1024 > MAX_MESSAGE_BYTES
    return raw


def send_without_size(port: int, raw: bytes, to: str) -> tuple[int, bytes]:
    """Plain smtplib without the SIZE parameter (sendmail would add it): MAIL, RCPT,
    DATA; the reply to the data, then a NOOP to show the session goes on."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        client.ehlo("client.test")
        assert client.mail(BEA)[0] == 250
        assert client.rcpt(to)[0] == 250
        code, message = client.data(raw)
        assert client.noop()[0] == 250
        return code, message


async def test_a_message_over_the_limit_is_refused_with_552(
    api: Api, mailbox: Mailbox, smtp_port: int
) -> None:
    m = await meetup(api, mailbox)
    raw = twenty_megabytes(m.invite.reply_address)
    # aiosmtplib declares the size: refused at MAIL FROM
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as early:
        await send(smtp_port, raw, m.invite.reply_address)
    assert early.value.code == 552
    # a client that does not: refused once the data is in
    code, _ = await asyncio.to_thread(send_without_size, smtp_port, raw, m.invite.reply_address)
    assert code == 552
    assert await beas_answer(api, m) is None


# --- LMTP ------------------------------------------------------------------------------


async def test_lmtp_mode_applies_a_reply(api: Api, mailbox: Mailbox) -> None:
    m = await meetup(api, mailbox)
    async with mail_in(lmtp=True) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            client = LmtpClient(reader, writer)
            assert (await client.reply()).startswith("220 meet.test")
            assert (await client.command("LHLO mx.test")).startswith("250")
            assert (await client.command(f"MAIL FROM:<{BEA}>")).startswith("250")
            rcpt = await client.command(f"RCPT TO:<{m.invite.reply_address}>")
            assert rcpt.startswith("250"), rcpt
            assert (await client.command("RCPT TO:<someone@meet.test>")).startswith("550")
            raw = reply(thunderbird_reply, m, "TENTATIVE", comment="Maybe", guests=1)
            assert [s[:3] for s in await client.data(raw, replies=1)] == ["250"]
            assert (await client.command("NOOP")).startswith("250")  # nothing left over
            assert (await client.command("QUIT")).startswith("221")
        finally:
            writer.close()
            await writer.wait_closed()
    answer = await beas_answer(api, m)
    assert answer is not None
    assert (answer["status"], answer["guests"], answer["note"]) == ("maybe", 1, "Maybe")


# --- the command -----------------------------------------------------------------------


@pytest.mark.slow
async def test_the_mail_in_command_applies_a_gmail_reply(
    api: Api, mailbox: Mailbox, tmp_path: Path
) -> None:
    m = await meetup(api, mailbox)
    port = free_port()
    log = (tmp_path / "mail-in.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "rendezvous", "mail-in", "--port", str(port)],
        cwd=tmp_path,
        env=dict(os.environ),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            assert process.poll() is None, (tmp_path / "mail-in.log").read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.03)
                continue
            writer.close()
            await writer.wait_closed()
            break
        else:
            raise AssertionError("mail-in did not start listening")
        raw = reply(gmail_reply, m, "ACCEPTED", comment="On my way", guests=1)
        refusal = await refused_at_rcpt(port, raw, "someone@meet.test")
        assert refusal.code == 550
        errors, _ = await send(port, raw, m.invite.reply_address)
        assert errors == {}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
        log.close()
    output = (tmp_path / "mail-in.log").read_text()
    assert process.returncode == 0, output
    assert "mail-in (SMTP) listening" in output and "Traceback" not in output
    answer = await beas_answer(api, m)
    assert answer is not None
    assert (answer["status"], answer["guests"], answer["note"]) == ("yes", 1, "On my way")
