"""Mail-in: an SMTP (or LMTP) server that takes mail for reply addresses only and hands the
iTIP REPLY calendars that calendar apps attach to a callback (the caller wires it to the
database)."""

from __future__ import annotations

import asyncio
import codecs
import logging
import re
import weakref
from collections.abc import Awaitable, Callable
from email.message import Message
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import AnyStr

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from rendezvous.core.errors import DomainError, Unavailable

log = logging.getLogger("rendezvous.mail_in")

MAX_MESSAGE_BYTES = 10 * 1024 * 1024
REPLY_PREFIX = "rsvp-"

_OK = "250 OK"
_NO_SUCH_ADDRESS = "550 5.1.1 No such reply address"
_TRY_LATER = "451 4.3.0 Cannot check this address now, try again later"
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
_SECRET = re.compile(r"[\w.+=~-]+", re.ASCII)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


# --- reading messages (pure) -----------------------------------------------------------


def _codec(charset: str | None) -> str | None:
    try:
        name = codecs.lookup(charset).name if charset else None
    except LookupError:
        return None
    # Mail clients that say ISO-8859-1 mean windows-1252 (as browsers assume too).
    return "windows-1252" if name == "iso8859-1" else name


def _decode(payload: bytes, charset: str | None) -> str:
    for bom, bom_codec in _BOMS:
        if payload.startswith(bom):
            return payload.decode(bom_codec, errors="replace")
    # A declared charset is sometimes wrong; RFC 5545's default, UTF-8, comes next.
    for codec in (_codec(charset), "utf-8", "windows-1252"):
        if codec:
            try:
                return payload.decode(codec)
            except (UnicodeDecodeError, LookupError):
                pass
    return payload.decode("latin-1")


def _calendar_text(part: Message) -> str | None:
    try:
        if part.is_multipart():
            return None
        named_ics = (part.get_filename() or "").strip().lower().endswith(".ics")
        if part.get_content_type() not in _CALENDAR_TYPES and not named_ics:
            return None
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return None
        text = _decode(payload, part.get_content_charset()).lstrip("\ufeff").strip()
    except Exception:  # a malformed part must not hide the others
        return None
    return text if text[:15].upper() == "BEGIN:VCALENDAR" else None


def calendar_parts(raw: bytes) -> list[bytes]:
    """The iCalendar objects a message carries (text/calendar or application/ics parts and
    .ics attachments, in nested and forwarded messages too), each once, as UTF-8 with CRLF
    line ends. Never raises: a message with nothing usable gives []."""
    try:
        parts = list(BytesParser(policy=default_policy).parsebytes(raw).walk())
    except Exception:
        return []
    found: list[bytes] = []
    seen: set[str] = set()
    for part in parts:
        text = _calendar_text(part)
        if text is None:
            continue
        # Gmail and Outlook send the same calendar as an alternative and as an attachment.
        lines = _LINE_BREAK.split(text)
        key = "\n".join(lines)
        if key not in seen:
            seen.add(key)
            found.append(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return found


def reply_local_part(address: str, mail_domain: str) -> str | None:
    """The secret of a reply address `rsvp-<secret>@<mail domain>`, as sent, or None."""
    address = address.strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    local, at, domain = address.rpartition("@")
    if not at or domain.rstrip(".").lower() != mail_domain.rstrip(".").lower():
        return None
    if local[: len(REPLY_PREFIX)].lower() != REPLY_PREFIX:
        return None
    secret = local[len(REPLY_PREFIX) :]
    return secret if _SECRET.fullmatch(secret) else None


# --- the server ------------------------------------------------------------------------


def _shown(secret: str) -> str:
    return f"{REPLY_PREFIX}{secret[:6]}..."


def _reason(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__


class ReplyHandler:
    """aiosmtpd hooks: RCPT accepts known reply addresses only; DATA applies each calendar
    to each recipient. `knows(secret)` and `apply(secret, calendar)` come from the caller;
    `apply` raises for a reply it refuses."""

    def __init__(
        self,
        mail_domain: str,
        knows: Callable[[str], Awaitable[bool]],
        apply: Callable[[str, bytes], Awaitable[None]],
    ) -> None:
        self.mail_domain = mail_domain
        self._knows = knows
        self._apply = apply

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        secret = reply_local_part(address, self.mail_domain)
        if secret is None:
            return _NO_SUCH_ADDRESS
        try:
            known = await self._knows(secret)
        except Exception as error:  # the database is away: the sender will retry
            log.warning(
                "cannot check %s: %s: %s", _shown(secret), type(error).__name__, _reason(error)
            )
            return _TRY_LATER
        if not known:
            return _NO_SUCH_ADDRESS
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return _OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        secrets = list(
            dict.fromkeys(
                secret
                for address in envelope.rcpt_tos
                if (secret := reply_local_part(address, self.mail_domain)) is not None
            )
        )
        calendars = calendar_parts(envelope.original_content or b"")
        if not calendars:
            log.info("dropped a message to %s: no calendar in it", ", ".join(map(_shown, secrets)))
        for secret in secrets:
            for calendar in calendars:
                await self._apply_one(secret, calendar)
        # Accepted either way, so that senders do not retry forever. LMTP (RFC 2033) answers
        # DATA once per accepted recipient; aiosmtpd sends what this returns as it is.
        return "\r\n".join([_OK] * (len(envelope.rcpt_tos) if isinstance(server, LMTP) else 1))

    async def _apply_one(self, secret: str, calendar: bytes) -> None:
        try:
            await self._apply(secret, calendar)
        except Exception as error:
            # A refusal is the sender's business; anything else (the database away) is ours.
            if isinstance(error, DomainError | ValueError) and not isinstance(error, Unavailable):
                log.info("reply to %s not applied: %s", _shown(secret), _reason(error))
                return
            log.warning(
                "reply to %s failed: %s: %s", _shown(secret), type(error).__name__, _reason(error)
            )


class _ReplyLMTP(LMTP):
    """aiosmtpd's LMTP refuses an oversized DATA with one reply; RFC 2033 wants one per
    accepted recipient, or the client keeps waiting for the rest."""

    _replies_due = 0

    def _per_recipient(self, status: str) -> str:
        if status.startswith("354") and self.envelope is not None:
            self._replies_due = len(self.envelope.rcpt_tos)
            return status
        due, self._replies_due = self._replies_due, 0
        return "\r\n".join([status] * due) if due > 1 and "\r\n" not in status else status

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str):
            await super().push(self._per_recipient(status))
        else:
            await super().push(status)


async def serve(handler: ReplyHandler, host: str, port: int, lmtp: bool) -> None:
    """Serve SMTP (or LMTP) on the running loop until cancelled."""
    loop = asyncio.get_running_loop()
    protocol = _ReplyLMTP if lmtp else SMTP
    sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def session() -> SMTP:
        smtp = protocol(
            handler,
            data_size_limit=MAX_MESSAGE_BYTES,
            enable_SMTPUTF8=True,
            hostname=handler.mail_domain,
            ident="Rendezvous mail-in",
            loop=loop,
        )
        sessions.add(smtp)
        return smtp

    server = await loop.create_server(session, host, port)
    try:
        bound = ", ".join(str(sock.getsockname()[:2]) for sock in server.sockets)
        log.info(
            "mail-in (%s) listening on %s for %s...@%s",
            "LMTP" if lmtp else "SMTP",
            bound,
            REPLY_PREFIX,
            handler.mail_domain,
        )
        await server.serve_forever()
    finally:
        server.close()
        # Python 3.11's server.close() leaves open connections alone.
        for smtp in list(sessions):
            if smtp.transport is not None:
                smtp.transport.close()
        await server.wait_closed()
