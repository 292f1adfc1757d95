"""Unit tests of rendezvous.mail.messages: times in the reader's zone, MIME structure, headers,
one-click links, escaping and header safety.

Every message is serialised with bytes() and read back with the standard parser, as a mail
client would, before anything is checked.
"""

# The expected text is typographic: en dashes between times, as people read them.
# ruff: noqa: RUF001

from __future__ import annotations

import email
import email.policy
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.core.text import one_line
from rendezvous.core.times import when
from rendezvous.mail.messages import (
    Links,
    Meetup,
    Option,
    Recipient,
    Sender,
    invitation,
    promoted,
    proposal,
    reminder,
    verification,
)

SENDER = Sender("Rendezvous", "invites@meet.example.org")
LONDON = Recipient("Anna", "anna@example.org", "Europe/London")
NEW_YORK = Recipient("Beth", "beth@example.com", "America/New_York")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
START = datetime(2026, 3, 14, 11, 0, tzinfo=UTC)
END = datetime(2026, 3, 14, 16, 0, tzinfo=UTC)
MEETUP = Meetup(
    title="Meetup in York",
    group="Forum Mums",
    description="Lunch at the Star Inn.\nBring the little ones!\n\nParking is tight.",
    url="https://meet.example.org/events/7",
    start=START,
    end=END,
    timezone="Europe/London",
    location="The Star Inn, York",
)
RSVP = Links(
    yes="https://meet.example.org/a/rsvp-yes",
    maybe="https://meet.example.org/a/rsvp-maybe",
    no="https://meet.example.org/a/rsvp-no",
)
# A calendar with a line longer than any mail line, and the CRLFs RFC 5545 asks for.
CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
    b"SUMMARY:Meetup in York \xe2\x80\x94 caf\xc3\xa9 " + b"x" * 200 + b"\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)
TOP_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Auto-Submitted",
    "Content-Type",
}


def vote_links(n: int) -> Links:
    return Links(
        yes=f"https://meet.example.org/a/vote-{n}-yes",
        maybe=f"https://meet.example.org/a/vote-{n}-maybe",
        no=f"https://meet.example.org/a/vote-{n}-no",
    )


OPTIONS = [
    Option(START, END, vote_links(1)),
    Option(
        datetime(2026, 3, 21, 18, 0, tzinfo=UTC),
        datetime(2026, 3, 22, 12, 0, tzinfo=UTC),
        vote_links(2),
    ),
]


def parse(message: EmailMessage) -> EmailMessage:
    raw = bytes(message)
    # Every line ends CRLF, as SMTP wants.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert bytes(message) == raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def the_invitation(**changes: object) -> EmailMessage:
    arguments: dict[str, object] = {
        "sender": SENDER,
        "recipient": LONDON,
        "meetup": MEETUP,
        "proposer": "Sarah",
        "proposer_address": "sarah@example.net",
        "change": "confirmed",
        "calendar": CALENDAR,
        "links": RSVP,
        "message_id": "<i1.7@meet.example.org>",
        "now": NOW,
    } | changes
    return parse(invitation(**arguments))  # type: ignore[arg-type]


# when()


@pytest.mark.parametrize(
    ("start", "end", "tz", "expected"),
    [
        (START, END, "Europe/London", "Saturday 14 March 2026, 11:00–16:00 GMT"),
        (START, END, "America/New_York", "Saturday 14 March 2026, 07:00–12:00 EDT"),
        (
            datetime(2026, 1, 10, 11, tzinfo=UTC),
            datetime(2026, 1, 10, 13, tzinfo=UTC),
            "America/New_York",
            "Saturday 10 January 2026, 06:00–08:00 EST",
        ),
        (
            datetime(2026, 7, 4, 10, tzinfo=UTC),
            datetime(2026, 7, 4, 15, tzinfo=UTC),
            "Europe/London",
            "Saturday 4 July 2026, 11:00–16:00 BST",
        ),
        # London's clocks go forward at 01:00 GMT on 29 March 2026.
        (
            datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            datetime(2026, 3, 29, 3, 0, tzinfo=UTC),
            "Europe/London",
            "Sunday 29 March 2026, 00:30 GMT – 04:00 BST",
        ),
        (
            datetime(2026, 3, 14, 18, tzinfo=UTC),
            datetime(2026, 3, 15, 16, tzinfo=UTC),
            "Europe/London",
            "Saturday 14 March 2026, 18:00 – Sunday 15 March 2026, 16:00 GMT",
        ),
        # A weekend across the change of clocks names each end's zone.
        (
            datetime(2026, 3, 28, 10, tzinfo=UTC),
            datetime(2026, 3, 29, 15, tzinfo=UTC),
            "Europe/London",
            "Saturday 28 March 2026, 10:00 GMT – Sunday 29 March 2026, 16:00 BST",
        ),
        (
            datetime(2026, 3, 14, 20, tzinfo=UTC),
            datetime(2026, 3, 15, 0, tzinfo=UTC),
            "Europe/London",
            "Saturday 14 March 2026, 20:00–00:00 GMT",
        ),
        (START, None, "Europe/London", "Saturday 14 March 2026, 11:00 GMT"),
        (START, END, "Asia/Dubai", "Saturday 14 March 2026, 15:00–20:00 UTC+4"),
        (START, None, "Asia/Kathmandu", "Saturday 14 March 2026, 16:45 UTC+5:45"),
        (START, None, "America/Sao_Paulo", "Saturday 14 March 2026, 08:00 UTC-3"),
        (START, None, "Not/AZone", "Saturday 14 March 2026, 11:00 UTC"),
        (START, None, "America", "Saturday 14 March 2026, 11:00 UTC"),
    ],
)
def test_when(start: datetime, end: datetime | None, tz: str, expected: str) -> None:
    assert when(start, end, tz) == expected


def test_when_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        when(datetime(2026, 3, 14, 11), None, "Europe/London")


# one_line


def _breaks_a_line(character: str) -> bool:
    return unicodedata.category(character) in {"Cc", "Zl", "Zp", "Cs"}


@given(st.text())
@settings(max_examples=300)
def test_one_line_leaves_one_clean_line(text: str) -> None:
    line = one_line(text)
    assert not any(_breaks_a_line(c) for c in line)
    assert line == line.strip()
    assert "  " not in line
    assert one_line(line) == line


@given(st.lists(st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1), max_size=5))
def test_one_line_keeps_ordinary_text(words: list[str]) -> None:
    text = " ".join(words)
    assert one_line(text) == text


def test_one_line_removes_bidi_overrides() -> None:
    assert one_line("Sarah\u202e\u2066 Jones\r\n") == "Sarah Jones"


# Header safety


@pytest.mark.parametrize("field", ["title", "group"])
def test_member_text_cannot_add_a_header(field: str) -> None:
    meetup = replace(MEETUP, **{field: "Lunch\r\nBcc: x@y.example\r\n\r\nhello"})
    recipient = Recipient("Anna\r\nBcc: z@y.example", LONDON.address, LONDON.timezone)
    messages = [
        proposal(SENDER, recipient, meetup, "Sarah\nX-Evil: 1", OPTIONS, "<p@m>", NOW),
        invitation(
            SENDER,
            recipient,
            meetup,
            "Sarah\r\nBcc: w@y.example",
            "sarah@example.net",
            "confirmed",
            CALENDAR,
            RSVP,
            "<i@m>",
            NOW,
        ),
        promoted(SENDER, recipient, meetup, "<s@m>", NOW),
        reminder(SENDER, recipient, meetup, "yes", "<r@m>", NOW),
    ]
    for message in messages:
        parsed = parse(message)
        assert "Bcc" not in parsed
        assert "X-Evil" not in parsed
        assert set(parsed.keys()) <= TOP_HEADERS | {"Reply-To"}
        assert [a.addr_spec for a in parsed["To"].addresses] == [LONDON.address]
        assert "\n" not in str(parsed["Subject"])


@given(title=st.text(max_size=200), name=st.text(max_size=60))
@settings(max_examples=60, deadline=None)
def test_any_title_and_name_stay_in_their_headers(title: str, name: str) -> None:
    meetup = Meetup(title, "Forum Mums", "", MEETUP.url, START, END, "Europe/London", None)
    recipient = Recipient(name, LONDON.address, LONDON.timezone)
    parsed = parse(promoted(SENDER, recipient, meetup, "<s@m>", NOW))
    assert set(parsed.keys()) == TOP_HEADERS
    assert same_text(parsed["Subject"], one_line(f"A seat opened up: you're going to {title}"))
    (to,) = parsed["To"].addresses
    assert to.addr_spec == LONDON.address
    assert same_text(to.display_name, one_line(name))


def same_text(read: str, written: str) -> bool:
    """Whether a header reads back as written. CPython (3.11) may fold a long header right
    after its name, and reads that fold as a leading space. Outside ASCII it writes encoded
    words and may fold at a space between two of them, where RFC 2047 readers drop it, and
    reads a fold inside a display name as a space: there, spaces are not compared."""
    if written.isascii():
        return read.strip() == written
    return "".join(read.split()) == "".join(written.split())


def test_addresses_with_line_breaks_are_refused() -> None:
    recipient = Recipient("Anna", "anna@example.org\r\nBcc: x@y.example", "Europe/London")
    with pytest.raises(ValueError):
        promoted(SENDER, recipient, MEETUP, "<s@m>", NOW)


# Common headers


def test_headers_are_as_given_and_stable() -> None:
    message = promoted(SENDER, LONDON, MEETUP, "<o123.456@meet.example.org>", NOW)
    parsed = parse(message)
    assert parsed["Message-ID"] == "<o123.456@meet.example.org>"
    assert parsed["Date"].datetime == NOW
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["MIME-Version"] == "1.0"
    assert str(parsed["From"]) == "Rendezvous <invites@meet.example.org>"
    assert str(parsed["To"]) == "Anna <anna@example.org>"
    for header in ("In-Reply-To", "References", "Reply-To"):
        assert header not in parsed
    # Only the top carries MIME-Version; the same inputs give the same bytes.
    assert bytes(message).count(b"MIME-Version") == 1
    assert bytes(promoted(SENDER, LONDON, MEETUP, "<o123.456@meet.example.org>", NOW)) == bytes(
        message
    )


def test_text_and_html_are_quoted_printable_utf8() -> None:
    parsed = parse(promoted(SENDER, LONDON, MEETUP, "<s@m>", NOW))
    assert types(parsed) == ["multipart/alternative", "text/plain", "text/html"]
    for part in list(parsed.walk())[1:]:
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "quoted-printable"


# verification


def test_verification() -> None:
    link = "https://meet.example.org/email/verify/s3cret"
    expires = NOW + timedelta(days=7)
    parsed = parse(verification(SENDER, NEW_YORK, link, expires, "<v1@m>", NOW))
    assert types(parsed) == ["multipart/alternative", "text/plain", "text/html"]
    assert parsed["Subject"] == "Confirm your e-mail address for Rendezvous"
    assert str(parsed["To"]) == "Beth <beth@example.com>"
    text, html = body(parsed, "plain"), body(parsed, "html")
    for content in (text, html):
        assert link in content
        assert "7 days" in content
        # 09:00Z on 8 March is 05:00 in New York (daylight saving time started that morning).
        assert "Sunday 8 March 2026, 05:00 EDT" in content
        assert "didn't sign up" in content
    assert f'href="{link}"' in html


# proposal


def test_proposal_subject_and_links() -> None:
    parsed = parse(proposal(SENDER, LONDON, MEETUP, "Sarah", OPTIONS, "<p1@m>", NOW))
    assert types(parsed) == ["multipart/alternative", "text/plain", "text/html"]
    assert parsed["Subject"] == "[Forum Mums] Meetup in York — Sarah suggests a few dates"
    text, html = body(parsed, "plain"), body(parsed, "html")
    for option in OPTIONS:
        for url in (option.links.yes, option.links.maybe, option.links.no):
            assert url in text
            assert f'href="{url}"' in html
    assert "Saturday 14 March 2026, 11:00–16:00 GMT" in text
    assert "Saturday 21 March 2026, 18:00 – Sunday 22 March 2026, 12:00 GMT" in text
    assert "Yes, 14 March works" in html
    assert "No, 21 March doesn&#39;t work" in html
    assert "your own time zone" not in text


def test_proposal_in_the_readers_zone() -> None:
    winter = Option(
        datetime(2026, 1, 10, 11, tzinfo=UTC), datetime(2026, 1, 10, 16, tzinfo=UTC), vote_links(3)
    )
    london = parse(proposal(SENDER, LONDON, MEETUP, "Sarah", [winter], "<p@m>", NOW))
    new_york = parse(proposal(SENDER, NEW_YORK, MEETUP, "Sarah", [winter], "<p@m>", NOW))
    assert "11:00–16:00 GMT" in body(london, "plain")
    assert "06:00–11:00 EST" in body(new_york, "plain")
    assert "06:00–11:00 EST" in body(new_york, "html")
    assert "America/New_York" in body(new_york, "plain")
    assert new_york["Subject"] == "[Forum Mums] Meetup in York — Sarah suggests a date"


def test_proposal_tells_options_on_one_day_apart() -> None:
    morning = Option(START, START + timedelta(hours=2), vote_links(1))
    afternoon = Option(START + timedelta(hours=4), END, vote_links(2))
    html = body(
        parse(proposal(SENDER, LONDON, MEETUP, "Sarah", [morning, afternoon], "<p@m>", NOW)), "html"
    )
    assert "Yes, 14 March, 11:00 works" in html
    assert "Yes, 14 March, 15:00 works" in html


def test_proposal_escapes_member_text_in_html() -> None:
    meetup = Meetup(
        "<b>Tea</b>",
        "<i>Mums</i>",
        "<script>x</script>",
        MEETUP.url,
        START,
        END,
        "Europe/London",
        "<u>",
    )
    recipient = Recipient("<b>Anna</b>", LONDON.address, LONDON.timezone)
    parsed = parse(proposal(SENDER, recipient, meetup, "<b>Sarah</b>", OPTIONS, "<p@m>", NOW))
    html = body(parsed, "html")
    for raw in ("<b>", "<i>", "<script>", "<u>"):
        assert raw not in html
    assert "&lt;b&gt;Tea&lt;/b&gt;" in html
    assert "&lt;b&gt;Anna&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    # The text part is plain text: shown as written.
    assert "<b>Tea</b>" in body(parsed, "plain")


# invitation


def test_invitation_structure() -> None:
    parsed = the_invitation()
    assert types(parsed) == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    _, alternative, _, _, inline, attachment = parsed.walk()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert inline["Content-Transfer-Encoding"] == "base64"
    assert inline.get_content_disposition() is None
    assert inline.get_payload(decode=True) == CALENDAR
    assert inline.get_content() == CALENDAR.decode()
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment["Content-Transfer-Encoding"] == "base64"
    assert attachment.get_payload(decode=True) == CALENDAR


def test_invitation_headers() -> None:
    parsed = the_invitation()
    (sender,) = parsed["From"].addresses
    assert sender.display_name == "Sarah via Rendezvous"
    assert sender.addr_spec == SENDER.address
    (reply_to,) = parsed["Reply-To"].addresses
    assert (reply_to.display_name, reply_to.addr_spec) == ("Sarah", "sarah@example.net")
    assert parsed["Message-ID"] == "<i1.7@meet.example.org>"
    assert parsed["Subject"] == "Invitation: Meetup in York — Sat 14 Mar 2026 11:00 (GMT)"
    assert set(parsed.keys()) == TOP_HEADERS | {"Reply-To"}


def test_invitation_quotes_a_display_name() -> None:
    parsed = the_invitation(proposer='Sarah "Sal" O\'Neil, York', proposer_address=None)
    (sender,) = parsed["From"].addresses
    assert sender.display_name == 'Sarah "Sal" O\'Neil, York via Rendezvous'
    assert "Reply-To" not in parsed
    assert "reply to this e-mail" not in body(parsed, "plain")


def test_invitation_links_in_both_parts() -> None:
    parsed = the_invitation()
    text, html = body(parsed, "plain"), body(parsed, "html")
    for url in (RSVP.yes, RSVP.maybe, RSVP.no):
        assert url in text
        assert f'href="{url}"' in html
    for label in ("Going", "Maybe", "Can&#39;t go"):
        assert f">{label}</a>" in html
    assert "Saturday 14 March 2026, 11:00–16:00 GMT" in text
    assert "The Star Inn, York" in html


def test_invitation_in_the_readers_zone() -> None:
    parsed = the_invitation(recipient=NEW_YORK)
    assert parsed["Subject"] == "Invitation: Meetup in York — Sat 14 Mar 2026 07:00 (EDT)"
    assert "07:00–12:00 EDT" in body(parsed, "plain")


@pytest.mark.parametrize(("change", "prefix"), [("updated", "Updated"), ("cancelled", "Cancelled")])
def test_invitation_changes(change: str, prefix: str) -> None:
    parsed = the_invitation(change=change)
    assert parsed["Subject"] == f"{prefix}: Meetup in York — Sat 14 Mar 2026 11:00 (GMT)"
    method = "CANCEL" if change == "cancelled" else "REQUEST"
    inline = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert inline.get_param("method") == method
    assert inline.get_payload(decode=True) == CALENDAR


def test_cancellation_has_no_links() -> None:
    parsed = the_invitation(change="cancelled", links=None)
    text, html = body(parsed, "plain"), body(parsed, "html")
    assert "cancelled" in text
    assert "cancelled" in html
    assert "http" not in text
    assert "href" not in html
    # Even when links are passed by mistake.
    given_links = the_invitation(change="cancelled")
    assert RSVP.yes not in body(given_links, "plain")
    assert RSVP.yes not in body(given_links, "html")


def test_invitation_refuses_a_calendar_that_is_not_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        the_invitation(calendar=b"SUMMARY:caf\xe9\r\n")


def test_invitation_escapes_member_text_in_html() -> None:
    meetup = Meetup("<b>Tea</b>", "Mums", "", MEETUP.url, START, END, "Europe/London", None)
    parsed = the_invitation(meetup=meetup, proposer="<b>Sarah</b>")
    html = body(parsed, "html")
    assert "<b>" not in html
    assert "&lt;b&gt;Tea&lt;/b&gt;" in html
    assert parsed["From"].addresses[0].display_name == "<b>Sarah</b> via Rendezvous"


# promoted and reminder


def test_promoted() -> None:
    parsed = parse(promoted(SENDER, NEW_YORK, MEETUP, "<s@m>", NOW))
    assert parsed["Subject"] == "A seat opened up: you're going to Meetup in York"
    text = body(parsed, "plain")
    assert "Saturday 14 March 2026, 07:00–12:00 EDT" in text
    assert "The Star Inn, York" in text
    assert MEETUP.url in text


@pytest.mark.parametrize(
    ("now", "subject"),
    [
        (START - timedelta(hours=24), "Reminder: Meetup in York is tomorrow at 11:00"),
        (START - timedelta(hours=3), "Reminder: Meetup in York is today at 11:00"),
        (START - timedelta(days=3), "Reminder: Meetup in York is on Saturday 14 March at 11:00"),
    ],
)
def test_reminder_subject(now: datetime, subject: str) -> None:
    parsed = parse(reminder(SENDER, LONDON, MEETUP, "yes", "<r@m>", now))
    assert parsed["Subject"] == subject


def test_reminder_in_the_readers_zone() -> None:
    parsed = parse(reminder(SENDER, NEW_YORK, MEETUP, "yes", "<r@m>", START - timedelta(hours=24)))
    assert parsed["Subject"] == "Reminder: Meetup in York is tomorrow at 07:00"
    assert "07:00–12:00 EDT" in body(parsed, "plain")


def test_reminder_for_maybe() -> None:
    maybe = parse(reminder(SENDER, LONDON, MEETUP, "maybe", "<r@m>", NOW))
    yes = parse(reminder(SENDER, LONDON, MEETUP, "yes", "<r@m>", NOW))
    for subtype in ("plain", "html"):
        assert "You said maybe" in body(maybe, subtype)
        assert "You said maybe" not in body(yes, subtype)
        assert "The Star Inn, York" in body(maybe, subtype)


def test_description_keeps_its_paragraphs() -> None:
    html = body(the_invitation(), "html")
    assert re.search(r"Lunch at the Star Inn\.<br>\s*Bring the little ones!</p>", html)
    assert "Parking is tight." in html


def test_a_meetup_without_a_time() -> None:
    meetup = replace(MEETUP, start=None, end=None, location=None)
    parsed = the_invitation(meetup=meetup)
    assert parsed["Subject"] == "Invitation: Meetup in York"
    assert "When:" not in body(parsed, "plain")
    assert "Where:" not in body(parsed, "plain")
    assert parse(reminder(SENDER, LONDON, meetup, "yes", "<r@m>", NOW))["Subject"] == (
        "Reminder: Meetup in York"
    )
