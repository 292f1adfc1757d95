"""Raw iTIP replies in the shapes calendar apps mail them (Gmail, Outlook, Apple Mail,
Thunderbird), and a mail without a calendar, for the mail-in tests.

Each builder takes (from_address, to_address, uid, sequence, attendee_address, partstat,
comment=None, guests=None) and returns the message's bytes as they would arrive by SMTP.
"""

from __future__ import annotations

import base64
from email import quoprimime
from email.header import Header
from email.utils import formataddr

DTSTAMP = "20261120T101500Z"
DTSTART_UTC = "20261204T180000Z"
DTEND_UTC = "20261204T200000Z"
DTSTART_LOCAL = "20261204T190000"
DTEND_LOCAL = "20261204T210000"
DATE = "Fri, 20 Nov 2026 11:15:00 +0100"
SUMMARY = "Board games at Café Kosmos"

_VERBS = {
    "ACCEPTED": "Accepted",
    "TENTATIVE": "Tentatively Accepted",
    "DECLINED": "Declined",
}


# --- iCalendar text --------------------------------------------------------------------


def fold(line: str) -> str:
    """RFC 5545 3.1: at most 75 octets a line, continued after CRLF and a space, never
    inside a UTF-8 character."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > (75 if not pieces else 74):
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def param(value: str) -> str:
    return f'"{value}"' if any(char in value for char in ':;,"') else value


def _calendar(lines: list[str]) -> str:
    return "".join(fold(line) + "\r\n" for line in lines)


def _name(address: str, name: str | None) -> str:
    return name or address.split("@")[0].replace(".", " ").title()


def _subject(partstat: str, address: str, name: str | None) -> str:
    return f"{_VERBS.get(partstat, 'Updated')}: {SUMMARY} ({_name(address, name)})"


# --- MIME ------------------------------------------------------------------------------


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _headers(pairs: list[tuple[str, str]]) -> bytes:
    return "".join(f"{key}: {_header(value)}\r\n" for key, value in pairs).encode("ascii")


def _encode(body: bytes, transfer_encoding: str) -> bytes:
    if transfer_encoding == "base64":
        text = base64.b64encode(body).decode("ascii")
        return "".join(text[i : i + 76] + "\r\n" for i in range(0, len(text), 76)).encode()
    if transfer_encoding == "quoted-printable":
        encoded = quoprimime.body_encode(body.decode("latin-1"), maxlinelen=76, eol="\r\n")
        return encoded.encode("ascii") + b"\r\n"
    return body if body.endswith(b"\r\n") else body + b"\r\n"


def leaf(
    content_type: str,
    body: bytes,
    transfer_encoding: str,
    extra: list[tuple[str, str]] | None = None,
) -> bytes:
    """One MIME part: its headers, a blank line and its encoded body."""
    pairs = [("Content-Type", content_type), ("Content-Transfer-Encoding", transfer_encoding)]
    return _headers(pairs + (extra or [])) + b"\r\n" + _encode(body, transfer_encoding)


def multipart(
    subtype: str, boundary: str, parts: list[bytes], extra: list[tuple[str, str]] | None = None
) -> bytes:
    """A multipart entity around `parts` (headers first, as a part or a whole message)."""
    head = [*(extra or []), ("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')]
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return _headers(head) + b"\r\n" + body + b"--" + boundary.encode() + b"--\r\n"


def _envelope_headers(
    from_address: str, to_address: str, subject: str, message_id: str, name: str | None
) -> list[tuple[str, str]]:
    return [
        ("From", formataddr((_name(from_address, name), from_address))),
        ("To", to_address),
        ("Subject", subject),
        ("Date", DATE),
        ("Message-ID", message_id),
        ("MIME-Version", "1.0"),
    ]


# --- the clients -----------------------------------------------------------------------


def gmail_reply(
    from_address: str,
    to_address: str,
    uid: str,
    sequence: int,
    attendee_address: str,
    partstat: str,
    comment: str | None = None,
    guests: int | None = None,
    *,
    name: str | None = None,
) -> bytes:
    """Google Calendar: mixed > alternative (plain, HTML, the calendar in base64) and the
    same calendar again as invite.ics; X-NUM-GUESTS on the ATTENDEE, and the COMMENT's
    X-COMMENTER written without the quotes RFC 5545 asks for."""
    cn = _name(attendee_address, name)
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Google Inc//Google Calendar 70.9054//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        f"DTSTART:{DTSTART_UTC}",
        f"DTEND:{DTEND_UTC}",
        f"DTSTAMP:{DTSTAMP}",
        f"ORGANIZER;CN=Rendezvous:mailto:{to_address}",
        f"UID:{uid}",
        "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;"
        f"PARTSTAT={partstat};CN={param(cn)};X-NUM-GUESTS={guests or 0}:mailto:{attendee_address}",
    ]
    if comment is not None:
        lines.append(f"COMMENT;X-COMMENTER=mailto:{attendee_address}:{escape(comment)}")
    lines += [
        "CREATED:20261101T090000Z",
        "LAST-MODIFIED:20261120T101500Z",
        "LOCATION:Café Kosmos\\, Berlin",
        f"SEQUENCE:{sequence}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{escape(SUMMARY)}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    calendar = _calendar(lines).encode("utf-8")
    verb = _VERBS.get(partstat, "Updated").lower()
    text = f"{cn} has {verb} this invitation.\r\n\r\n{SUMMARY}\r\n"
    if comment:
        text += f'\r\n{cn} said: "{comment}"\r\n'
    html = f"<html><body><p>{cn} has {verb} this invitation.</p></body></html>"
    alternative = multipart(
        "alternative",
        "000000000000c3c50a0641f2b7d2",
        [
            leaf('text/plain; charset="UTF-8"; format=flowed; delsp=yes', text.encode(), "base64"),
            leaf('text/html; charset="UTF-8"', html.encode(), "quoted-printable"),
            leaf('text/calendar; charset="UTF-8"; method=REPLY', calendar, "base64"),
        ],
    )
    attachment = leaf(
        'application/ics; name="invite.ics"',
        calendar,
        "base64",
        [("Content-Disposition", 'attachment; filename="invite.ics"')],
    )
    headers = [
        *_envelope_headers(
            from_address,
            to_address,
            _subject(partstat, attendee_address, name),
            "<calendar-5f1e0b7a-3c2d-4b8e-9f60-1a2b3c4d5e6f@google.com>",
            name,
        ),
        ("Sender", "Google Calendar <calendar-notification@google.com>"),
        ("Reply-To", from_address),
    ]
    return multipart("mixed", "000000000000c3c5090641f2b7d1", [alternative, attachment], headers)


def outlook_reply(
    from_address: str,
    to_address: str,
    uid: str,
    sequence: int,
    attendee_address: str,
    partstat: str,
    comment: str | None = None,
    guests: int | None = None,
    *,
    name: str | None = None,
    charset: str = "utf-8",
    transfer_encoding: str = "quoted-printable",
    upper_case_address: bool = False,
) -> bytes:
    """Outlook / Exchange: one multipart/alternative (plain, HTML, the calendar), METHOD
    first, a Windows-named VTIMEZONE, local times, the ATTENDEE's address sometimes in
    capitals, COMMENT with a LANGUAGE; the calendar in `charset` and `transfer_encoding`
    (windows-1252 when the sender's settings are not Unicode)."""
    cn = _name(attendee_address, name)
    address = attendee_address.upper() if upper_case_address else attendee_address
    tzid = "W. Europe Standard Time"
    attendee = f"ATTENDEE;PARTSTAT={partstat};CN={param(cn)}"
    if guests is not None:
        attendee += f";X-NUM-GUESTS={guests}"
    lines = [
        "BEGIN:VCALENDAR",
        "METHOD:REPLY",
        "PRODID:Microsoft Exchange Server 2010",
        "VERSION:2.0",
        "BEGIN:VTIMEZONE",
        f"TZID:{tzid}",
        "BEGIN:STANDARD",
        "DTSTART:16010101T030000",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:16010101T020000",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        f"{attendee}:mailto:{address}",
    ]
    if comment is not None:
        lines.append(f"COMMENT;LANGUAGE=en-US:{escape(comment)}\\n")
    lines += [
        f"SUMMARY;LANGUAGE=en-US:{_VERBS.get(partstat, 'Updated')}: {escape(SUMMARY)}",
        f"DTSTART;TZID={tzid}:{DTSTART_LOCAL}",
        f"DTEND;TZID={tzid}:{DTEND_LOCAL}",
        f"UID:{uid}",
        f"ORGANIZER:mailto:{to_address}",
        "CLASS:PUBLIC",
        "PRIORITY:5",
        f"DTSTAMP:{DTSTAMP}",
        "TRANSP:OPAQUE",
        "STATUS:CONFIRMED",
        f"SEQUENCE:{sequence}",
        "LOCATION;LANGUAGE=en-US:Café Kosmos\\, Berlin",
        f"X-MICROSOFT-CDO-APPT-SEQUENCE:{sequence}",
        "X-MICROSOFT-CDO-OWNERAPPTSEQUENCE:0",
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
        "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY",
        "X-MICROSOFT-CDO-ALLDAYEVENT:FALSE",
        "X-MICROSOFT-CDO-IMPORTANCE:1",
        "X-MICROSOFT-CDO-INSTTYPE:0",
        "X-MICROSOFT-DISALLOW-COUNTER:FALSE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    calendar = _calendar(lines).encode(charset)
    text = (comment or "") + "\r\n"
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"</head><body><div>{comment or ''}</div></body></html>"
    )
    headers = [
        *_envelope_headers(
            from_address,
            to_address,
            _subject(partstat, attendee_address, name),
            "<AM0PR07MB4417E5B1C2D3A4F5@AM0PR07MB4417.eurprd07.prod.outlook.com>",
            name,
        ),
        ("Thread-Topic", SUMMARY),
        ("Thread-Index", "AQHbO3Y2xk9s8f1n0U2sR0nD2ZT5eQ=="),
        ("Accept-Language", "en-US"),
        ("Content-Language", "en-US"),
        ("X-MS-Has-Attach", ""),
        ("X-MS-TNEF-Correlator", ""),
    ]
    return multipart(
        "alternative",
        "_000_AM0PR07MB4417E5B1C2D3A4F5AM0PR07MB4417eurprd_",
        [
            leaf('text/plain; charset="utf-8"', text.encode(), "base64"),
            leaf('text/html; charset="utf-8"', html.encode(), "base64"),
            leaf(f'text/calendar; charset="{charset}"; method=REPLY', calendar, transfer_encoding),
        ],
        headers,
    )


def apple_reply(
    from_address: str,
    to_address: str,
    uid: str,
    sequence: int,
    attendee_address: str,
    partstat: str,
    comment: str | None = None,
    guests: int | None = None,
    *,
    name: str | None = None,
    transfer_encoding: str | None = None,
) -> bytes:
    """Apple Mail sending Apple Calendar's reply: multipart/mixed with a line of text and the
    calendar as an iCal-<date>-<time>.ics attachment, 7bit (quoted-printable once it holds
    more than ASCII); the ATTENDEE carries quoted CN and EMAIL parameters."""
    cn = _name(attendee_address, name)
    attendee = f'ATTENDEE;CN="{cn}";CUTYPE=INDIVIDUAL;EMAIL="{attendee_address}"'
    if guests is not None:
        attendee += f";X-NUM-GUESTS={guests}"
    lines = [
        "BEGIN:VCALENDAR",
        "METHOD:REPLY",
        "VERSION:2.0",
        "PRODID:-//Apple Inc.//macOS 15.1//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"{attendee};PARTSTAT={partstat}:mailto:{attendee_address}",
        f"DTEND:{DTEND_UTC}",
        f"DTSTAMP:{DTSTAMP}",
        f"DTSTART:{DTSTART_UTC}",
        f"ORGANIZER;CN=Rendezvous:mailto:{to_address}",
        "REQUEST-STATUS:2.0;Success",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape(SUMMARY)}",
        f"UID:{uid}",
    ]
    if comment is not None:
        lines.append(f"COMMENT:{escape(comment)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    calendar = _calendar(lines)
    encoding = transfer_encoding or ("7bit" if calendar.isascii() else "quoted-printable")
    filename = "iCal-20261204-123456.ics"
    boundary = "Apple-Mail=_6C2E4F0B-8A1D-4E7C-9B3A-2F5D8E1C7A90"
    headers = [
        *_envelope_headers(
            from_address,
            to_address,
            _subject(partstat, attendee_address, name),
            "<8E1C7A90-6C2E-4F0B-8A1D-4E7C9B3A2F5D@example.org>",
            name,
        ),
        ("X-Mailer", "Apple Mail (2.3826.200.121)"),
    ]
    return multipart(
        "mixed",
        boundary,
        [
            leaf("text/plain; charset=us-ascii", b"\r\n", "7bit"),
            leaf(
                f'text/calendar; x-unix-mode=0644; name="{filename}"; method=REPLY; charset=utf-8',
                calendar.encode("utf-8"),
                encoding,
                [("Content-Disposition", f"attachment; filename={filename}")],
            ),
        ],
        headers,
    )


def thunderbird_reply(
    from_address: str,
    to_address: str,
    uid: str,
    sequence: int,
    attendee_address: str,
    partstat: str,
    comment: str | None = None,
    guests: int | None = None,
    *,
    name: str | None = None,
) -> bytes:
    """Thunderbird: multipart/mixed with the text, the calendar inline as 8bit
    text/calendar, and the same calendar again as an invite.ics attachment in base64;
    a VTIMEZONE by Olson name and local times."""
    cn = _name(attendee_address, name)
    attendee = (
        f"ATTENDEE;CN={param(cn)};PARTSTAT={partstat};ROLE=REQ-PARTICIPANT;CUTYPE=INDIVIDUAL;"
        "RSVP=FALSE"
    )
    if guests is not None:
        attendee += f";X-NUM-GUESTS={guests}"
    lines = [
        "BEGIN:VCALENDAR",
        "PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
        "VERSION:2.0",
        "METHOD:REPLY",
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "CREATED:20261101T090000Z",
        "LAST-MODIFIED:20261120T101500Z",
        f"DTSTAMP:{DTSTAMP}",
        f"UID:{uid}",
        f"SUMMARY:{escape(SUMMARY)}",
        f"ORGANIZER;CN=Rendezvous:mailto:{to_address}",
        f"{attendee}:mailto:{attendee_address}",
        f"DTSTART;TZID=Europe/Berlin:{DTSTART_LOCAL}",
        f"DTEND;TZID=Europe/Berlin:{DTEND_LOCAL}",
        f"SEQUENCE:{sequence}",
    ]
    if comment is not None:
        lines.append(f"COMMENT:{escape(comment)}")
    lines += ["LOCATION:Café Kosmos\\, Berlin", "END:VEVENT", "END:VCALENDAR"]
    calendar = _calendar(lines).encode("utf-8")
    verb = _VERBS.get(partstat, "Updated").lower()
    text = f"{cn} has {verb} your event invitation.\r\n"
    if comment:
        text += f"\r\n{comment}\r\n"
    headers = [
        *_envelope_headers(
            from_address,
            to_address,
            _subject(partstat, attendee_address, name),
            "<d7c9e1a2-5b3f-4c8d-9e0a-1f2b3c4d5e6f@example.org>",
            name,
        ),
        (
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.0",
        ),
        ("Content-Language", "en-US"),
    ]
    return multipart(
        "mixed",
        "------------kTnX8w0cR1s5QhQ2u3Yd9B7p",
        [
            leaf("text/plain; charset=UTF-8; format=flowed", text.encode(), "8bit"),
            leaf("text/calendar; charset=UTF-8; method=REPLY", calendar, "8bit"),
            leaf(
                'application/ics; name="invite.ics"',
                calendar,
                "base64",
                [("Content-Disposition", 'attachment; filename="invite.ics"')],
            ),
        ],
        headers,
    )


def not_a_calendar(
    from_address: str, to_address: str, text: str = "Thanks! See you there."
) -> bytes:
    """A plain-text answer to an invite, without a calendar."""
    headers = [
        *_envelope_headers(
            from_address, to_address, f"Re: {SUMMARY}", "<thanks-1@example.org>", None
        ),
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Transfer-Encoding", "8bit"),
    ]
    return _headers(headers) + b"\r\n" + text.encode() + b"\r\n"


CLIENTS = {
    "gmail": gmail_reply,
    "outlook": outlook_reply,
    "apple": apple_reply,
    "thunderbird": thunderbird_reply,
}
