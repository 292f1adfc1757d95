"""The mails Rendezvous sends, pure: values in, an `EmailMessage` out, no database and no I/O.

Each has a text/plain and a text/html alternative rendered from templates/mail/; invitations are
iMIP (RFC 6047) and carry their calendar twice, inline and as invite.ics. The same inputs give
the same bytes (boundaries come from the Message-ID), so a stored message is its own record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from functools import cache
from typing import Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from rendezvous.core import times
from rendezvous.core.text import one_line

Change = Literal["confirmed", "updated", "cancelled"]
Answer = Literal["yes", "maybe"]

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_DASH = "\N{EN DASH}"


@dataclass(frozen=True, slots=True)
class Sender:
    """Who mail comes from (RENDEZVOUS_MAIL_FROM)."""

    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a mail goes to: their verified address, and the zone their times are shown in."""

    name: str
    address: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Links:
    """One-click URLs answering yes, maybe or no."""

    yes: str
    maybe: str
    no: str


@dataclass(frozen=True, slots=True)
class Meetup:
    """What a mail says about an event; start and end are aware (UTC)."""

    title: str
    group: str
    description: str
    url: str
    start: datetime | None
    end: datetime | None
    timezone: str
    location: str | None


@dataclass(frozen=True, slots=True)
class Option:
    """A proposed time, with the links that vote on it."""

    start: datetime
    end: datetime
    links: Links


@cache
def environment() -> Environment:
    """The Jinja environment of mails and pages: HTML escaped, text as written, no silent blanks."""
    return Environment(
        loader=PackageLoader("rendezvous.mail", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html",), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


# Member-written text


def _paragraphs(text: str) -> list[list[str]]:
    """A description as paragraphs of lines, each line one-lined (templates join them)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [
        [line for line in (one_line(raw) for raw in block.split("\n")) if line]
        for block in _PARAGRAPH_BREAK.split(text)
    ]
    return [lines for lines in paragraphs if lines]


def _greeting(name: str) -> str:
    name = one_line(name)
    return f"Hello {name}," if name else "Hello,"


# Assembly


def _boundary(message_id: str, part: str) -> str:
    # "=_" never occurs in quoted-printable or base64 text, the only encodings used here.
    digest = hashlib.sha256(f"{message_id}\0{part}".encode()).hexdigest()[:32]
    return f"=_rendezvous_{part}_{digest}"


def _render(name: str, context: dict[str, object]) -> tuple[str, str]:
    env = environment()
    text = env.get_template(f"mail/{name}.txt").render(context)
    html = env.get_template(f"mail/{name}.html").render(context)
    return text, html


def _alternative(text: str, html: str, message_id: str) -> MIMEPart:
    part = MIMEPart(policy=SMTP)
    # Quoted-printable rather than 8bit: any relay takes it, and the source stays readable.
    part.set_content(text, cte="quoted-printable")
    part.make_alternative(boundary=_boundary(message_id, "alternative"))
    part.add_alternative(html, subtype="html", cte="quoted-printable")
    return part


def _address(name: str, address: str) -> Address:
    return Address(display_name=one_line(name), addr_spec=address)


def _message(
    body: MIMEPart,
    *,
    sender: Address,
    recipient: Recipient,
    subject: str,
    message_id: str,
    now: datetime,
    reply_to: Address | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = _address(recipient.name, recipient.address)
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Subject"] = one_line(subject)
    message["Date"] = times.localised(now, UTC)
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    message["Auto-Submitted"] = "auto-generated"
    # The body was built as a MIMEPart so that its subparts carry no MIME-Version of their
    # own (EmailMessage adds one to every part it creates).
    for name, value in body.items():
        message[name] = value
    message.set_payload(body.get_payload())
    return message


def _from(sender: Sender) -> Address:
    return _address(sender.name, sender.address)


def _meetup_context(meetup: Meetup, recipient: Recipient) -> dict[str, object]:
    return {
        "greeting": _greeting(recipient.name),
        "title": one_line(meetup.title),
        "group": one_line(meetup.group),
        "description": _paragraphs(meetup.description),
        "location": one_line(meetup.location or "") or None,
        "url": meetup.url,
        "when": (
            times.when(meetup.start, meetup.end, recipient.timezone)
            if meetup.start is not None
            else None
        ),
        "zone": recipient.timezone,
        "own_zone": recipient.timezone != meetup.timezone,
    }


# The mails


def verification(
    sender: Sender,
    recipient: Recipient,
    link: str,
    expires: datetime,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """The one mail an unverified address gets: a link confirming it."""
    days = max(1, round((expires - now) / timedelta(days=1)))
    subject = "Confirm your e-mail address for Rendezvous"
    context: dict[str, object] = {
        "subject": subject,
        "greeting": _greeting(recipient.name),
        "link": link,
        "valid_for": "1 day" if days == 1 else f"{days} days",
        "expires": times.when(expires, None, recipient.timezone),
        "group": None,
    }
    text, html = _render("verification", context)
    return _message(
        _alternative(text, html, message_id),
        sender=_from(sender),
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        now=now,
    )


def proposal(
    sender: Sender,
    recipient: Recipient,
    meetup: Meetup,
    proposer: str,
    options: Sequence[Option],
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """A new meetup poll: each time option in the recipient's zone, with one-click votes."""
    proposer = one_line(proposer) or "Someone"
    zone = times.zone_of(recipient.timezone)
    starts = [times.localised(option.start, zone) for option in options]
    # Two options on one day are told apart by their time.
    days = [local.date() for local in starts]
    labels = [
        times.day_label(local) + (f", {times.clock(local)}" if days.count(local.date()) > 1 else "")
        for local in starts
    ]
    what = "a few dates" if len(options) > 1 else "a date"
    subject = f"[{meetup.group}] {meetup.title} — {proposer} suggests {what}"
    context = _meetup_context(meetup, recipient) | {
        "subject": one_line(subject),
        "proposer": proposer,
        "options": [
            {
                "when": times.when(option.start, option.end, recipient.timezone),
                "label": label,
                "yes": option.links.yes,
                "maybe": option.links.maybe,
                "no": option.links.no,
            }
            for option, label in zip(options, labels, strict=True)
        ],
    }
    text, html = _render("proposal", context)
    return _message(
        _alternative(text, html, message_id),
        sender=_from(sender),
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        now=now,
    )


def invitation(
    sender: Sender,
    recipient: Recipient,
    meetup: Meetup,
    proposer: str,
    proposer_address: str | None,
    change: Change,
    calendar: bytes,
    links: Links | None,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """The iMIP message (RFC 6047) of a confirmation, an update or a cancellation.

    multipart/mixed: a multipart/alternative of text/plain, text/html and the text/calendar
    (method REQUEST or CANCEL), then the same calendar as the attachment invite.ics.
    A cancellation asks for no answer, so it carries no links even if given some.
    """
    method = "CANCEL" if change == "cancelled" else "REQUEST"
    # The calendar parts say charset=utf-8; fail here rather than in someone's calendar app.
    calendar.decode("utf-8")
    if change == "cancelled":
        links = None
    proposer = one_line(proposer)
    prefix = {"confirmed": "Invitation", "updated": "Updated", "cancelled": "Cancelled"}[change]
    subject = f"{prefix}: {meetup.title}"
    if meetup.start is not None:
        subject += f" — {times.short(meetup.start, recipient.timezone)}"
    context = _meetup_context(meetup, recipient) | {
        "subject": one_line(subject),
        "proposer": proposer,
        "change": change,
        "links": links,
        "can_reply": bool(proposer_address),
    }
    text, html = _render("invitation", context)
    body = _alternative(text, html, message_id)
    # Sent as bytes, so the calendar arrives exactly as built; base64 keeps its long lines and
    # CRLFs intact through any relay.
    body.add_alternative(
        calendar, "text", "calendar", cte="base64", params={"charset": "utf-8", "method": method}
    )
    body.make_mixed(boundary=_boundary(message_id, "mixed"))
    # application/ics, as Google sends it: a second text/calendar part makes some clients show
    # the invitation twice.
    body.add_attachment(
        calendar, "application", "ics", filename="invite.ics", params={"name": "invite.ics"}
    )
    display = f"{proposer} via Rendezvous" if proposer else (sender.name or "Rendezvous")
    return _message(
        body,
        sender=_address(display, sender.address),
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        now=now,
        reply_to=_address(proposer, proposer_address) if proposer_address else None,
    )


def promoted(
    sender: Sender, recipient: Recipient, meetup: Meetup, message_id: str, now: datetime
) -> EmailMessage:
    """A seat came free and the waitlist gave it to the recipient."""
    subject = f"A seat opened up: you're going to {meetup.title}"
    context = _meetup_context(meetup, recipient) | {"subject": one_line(subject)}
    text, html = _render("promoted", context)
    return _message(
        _alternative(text, html, message_id),
        sender=_from(sender),
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        now=now,
    )


def reminder(
    sender: Sender,
    recipient: Recipient,
    meetup: Meetup,
    answer: Answer,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """Before the start, to those going or perhaps going. "Today" and "tomorrow" are counted
    from `now`, the mail's Date, in the recipient's zone."""
    subject = f"Reminder: {meetup.title}"
    if meetup.start is not None:
        zone = times.zone_of(recipient.timezone)
        start, today = times.localised(meetup.start, zone), times.localised(now, zone)
        ahead = (start.date() - today.date()).days
        soon = timedelta() <= meetup.start - now <= timedelta(hours=36)
        if soon and ahead == 0:
            subject += f" is today at {times.clock(start)}"
        elif soon and ahead == 1:
            subject += f" is tomorrow at {times.clock(start)}"
        else:
            weekday = times.DAYS[start.weekday()]
            subject += f" is on {weekday} {times.day_label(start)} at {times.clock(start)}"
    context = _meetup_context(meetup, recipient) | {
        "subject": one_line(subject),
        "answer": answer,
    }
    text, html = _render("reminder", context)
    return _message(
        _alternative(text, html, message_id),
        sender=_from(sender),
        recipient=recipient,
        subject=subject,
        message_id=message_id,
        now=now,
    )
