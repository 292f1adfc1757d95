"""Chat webhook requests, pure: what happened to a meetup in, the HTTP request for one chat
destination out (Standard Webhooks JSON, Discord, Slack, Telegram or Matrix). No I/O.

Member-supplied text (group, title, venue, names) is made one line and inert in each format, so
that a message can neither ping anybody nor carry markup or links of its author's choosing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import msgspec

from rendezvous.core.text import one_line
from rendezvous.core.times import when
from rendezvous.webhooks.schemas import EVENT_TYPES, KINDS

MAX_OPTIONS_SHOWN = 10
_MAX_NAME = 100  # a group's or a person's name (the API's limit)
_MAX_TEXT = 200  # a title or a venue's name or address (the API's limit)
_SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
_MASK = "****"
_ZWSP = "\N{ZERO WIDTH SPACE}"

# Discord honours a backslash before any punctuation; these start markdown, masked links,
# autolinks ("http\://" is not one) and <@id>, <#id>, <@&id>, <t:...> tags.
_DISCORD_SPECIAL = re.compile(r"([\\*_~`|>#\[\]()\-+<:])")


@dataclass(frozen=True, slots=True)
class Destination:
    kind: str
    url: str  # as stored (unmasked)
    secret: str | None = None  # generic only: "whsec_<base64>"
    telegram_chat_id: str | None = None
    matrix_access_token: str | None = None


@dataclass(frozen=True, slots=True)
class News:
    """What happened, as a chat is told it."""

    type: str  # one of EVENT_TYPES
    delivery_id: str  # the same on every retry: generic webhook-id, Matrix txn id
    occurred_at: datetime  # aware; the generic body's "timestamp"
    group_id: int
    group: str
    event: Mapping[str, Any]  # the API's Event, JSON-ready (times as ISO 8601 strings)
    url: str  # a link to the event
    actor: str | None = None  # who made the change, if known
    member: str | None = None  # whose seat or answer it is
    extra: Mapping[str, Any] = field(default_factory=dict)  # more generic "data" keys


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes


# Signing


def new_secret() -> str:
    return _SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(_SECRET_PREFIX))  # binascii.Error is a ValueError
    if not key:
        raise ValueError("a webhook secret may not be empty")
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# Text


@dataclass(frozen=True, slots=True)
class _Style:
    escape: Callable[[str], str]  # member text, made inert
    bold: Callable[[str], str]  # of text already escaped
    link: Callable[[str, str], str]  # (url, our own label)
    limit: int  # in UTF-16 code units, which is how Discord and Telegram count
    newline: str = "\n"


def _discord_escape(text: str) -> str:
    return _DISCORD_SPECIAL.sub(r"\\\1", text).replace("@", "@" + _ZWSP)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _matrix_escape(text: str) -> str:
    # Homeservers older than "m.mentions" would notify the whole room for "@room" in the body.
    return text.replace("@room", "@" + _ZWSP + "room")


def _html_link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'


_STYLES = {
    "discord": _Style(_discord_escape, "**{}**".format, "{1}: {0}".format, 2000),
    "slack": _Style(
        _slack_escape,
        "*{}*".format,
        lambda url, label: f"<{_slack_escape(url).replace('|', '%7C')}|{label}>",
        4000,
    ),
    "telegram": _Style(html.escape, "<b>{}</b>".format, _html_link, 4096),
    "matrix": _Style(_matrix_escape, "“{}”".format, "{1}: {0}".format, 16_000),
    "html": _Style(html.escape, "<b>{}</b>".format, _html_link, 16_000, "<br>"),
}


def _one_line(text: object, limit: int) -> str:
    line = one_line(str(text))
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _moment(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _span(item: Mapping[str, Any], tz: str) -> str:
    end = item.get("end")
    return when(_moment(item["start"]), _moment(end) if end else None, tz)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _headline(news: News, style: _Style, options: int) -> str:
    def member_text(value: str | None, default: str) -> str:
        return style.escape(_one_line(value, _MAX_NAME)) if value else default

    title = style.bold(style.escape(_one_line(news.event.get("title", ""), _MAX_TEXT)))
    group = member_text(news.group, "your group")
    meetup = f"{title} in {group}"
    actor = member_text(news.actor, "")
    member = member_text(news.member, "Someone")
    if news.type == "event.proposed":
        head = f"{actor} proposed {meetup}" if actor else f"{title} was proposed in {group}"
        return head + (f": vote on {options} dates:" if options > 1 else ".")
    if news.type == "event.confirmed":
        return f"{meetup} is on."
    if news.type == "event.updated":
        return f"{actor} changed {meetup}." if actor else f"{meetup} has changed."
    if news.type == "event.cancelled":
        return f"{actor} cancelled {meetup}." if actor else f"{meetup} is cancelled."
    if news.type == "event.reminder":
        return f"{meetup} is coming up."
    if news.type == "waitlist.promoted":
        return f"{member} has a seat at {meetup} now (off the waitlist)."
    rsvp = news.extra.get("rsvp") or {}
    guests = rsvp.get("guests")
    more = f" (+{_plural(guests, 'guest')})" if isinstance(guests, int) and guests > 0 else ""
    answer = style.escape(_one_line(rsvp.get("status", "something"), 20))
    return f"{member} answered {answer}{more} to {meetup}."


def _body(news: News, style: _Style) -> list[str]:
    event, lines = news.event, list[str]()
    tz = str(event.get("timezone") or "UTC")
    options = list(event.get("time_options") or [])
    if event.get("start") and event.get("status") != "proposed":
        prefix = "Was" if news.type == "event.cancelled" else "When"
        lines.append(f"{prefix}: {_span(event, tz)}")
    else:
        lines += [f"• {_span(option, tz)}" for option in options[:MAX_OPTIONS_SHOWN]]
        if len(options) > MAX_OPTIONS_SHOWN:
            lines.append(f"…and {len(options) - MAX_OPTIONS_SHOWN} more")
    venue = event.get("venue")
    if venue and news.type != "event.cancelled":
        parts = (venue.get("name"), venue.get("address"))
        lines.append(
            "Where: " + ", ".join(style.escape(_one_line(p, _MAX_TEXT)) for p in parts if p)
        )
    counts = event.get("rsvp_counts")
    if news.type == "rsvp.changed" and counts:
        guests = f" (+{_plural(counts['guests'], 'guest')})" if counts.get("guests") else ""
        waiting = f", {counts['waitlisted']} on the waitlist" if counts.get("waitlisted") else ""
        lines.append(
            f"Now {counts.get('yes', 0)} going{guests}, {counts.get('maybe', 0)} maybe,"
            f" {counts.get('no', 0)} not going{waiting}."
        )
    return lines


def text(news: News, style: str) -> str:
    """The human message about `news` in the style of a chat kind (or "html")."""
    chosen = _STYLES.get(style)
    if chosen is None:
        raise ValueError(f"no chat text style {style!r}")
    if news.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {news.type!r}")
    voting = news.event.get("status") == "proposed"
    options = len(news.event.get("time_options") or [])
    head = _headline(news, chosen, options if voting else 0)
    link = chosen.link(news.url, "Vote on the dates" if voting else "See the meetup")
    body = _body(news, chosen)
    # Whole lines go, from the end of the body, so that markup is never cut and the link stays;
    # names and titles are clipped above, so the headline and the link always fit.
    kept = len(body)
    while True:
        shown = body[:kept] + (["…"] if kept < len(body) else [])
        message = chosen.newline.join([head, *shown, link])
        if kept == 0 or len(message.encode("utf-16-le")) // 2 <= chosen.limit:
            return message
        kept -= 1


# Requests


def _needed(value: str | None, what: str) -> str:
    if not value:
        raise ValueError(f"this webhook needs {what}")
    return value


def request_for(destination: Destination, news: News, now: datetime) -> Request:
    """The request that tells `destination` about `news`, as sent at `now`."""
    if news.type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {news.type!r}")
    if news.occurred_at.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("occurred_at and now must be timezone-aware")
    kind, url, method = destination.kind, destination.url.rstrip("/"), "POST"
    headers = {"content-type": "application/json"}
    payload: dict[str, Any]
    if kind == "generic":
        secret = _needed(destination.secret, "its secret")
        data = {"group_id": news.group_id, "event": news.event, **news.extra}
        stamp = news.occurred_at.astimezone(UTC)
        # Serialised once: the signature is over exactly these bytes.
        body = msgspec.json.encode({"type": news.type, "timestamp": stamp, "data": data})
        timestamp = int(now.timestamp())
        headers["webhook-id"] = news.delivery_id
        headers["webhook-timestamp"] = str(timestamp)
        headers["webhook-signature"] = sign(secret, news.delivery_id, timestamp, body)
        return Request(method, url, headers, body)
    if kind == "discord":
        payload = {"content": text(news, "discord"), "allowed_mentions": {"parse": []}}
    elif kind == "slack":
        payload = {"text": text(news, "slack")}
    elif kind == "telegram":
        chat = _needed(destination.telegram_chat_id, "a Telegram chat id")
        url += "/sendMessage"
        payload = {"chat_id": chat, "text": text(news, "telegram"), "parse_mode": "HTML"}
        payload["disable_web_page_preview"] = True
    elif kind == "matrix":
        token = _needed(destination.matrix_access_token, "a Matrix access token")
        headers["authorization"] = f"Bearer {token}"
        # The delivery's id as the transaction id: the homeserver shows a retry only once.
        method, url = "PUT", f"{url}/send/m.room.message/{quote(news.delivery_id, safe='')}"
        payload = {"msgtype": "m.text", "body": text(news, "matrix")}
        payload["format"] = "org.matrix.custom.html"
        payload["formatted_body"] = text(news, "html")
        payload["m.mentions"] = {}  # nobody: no notifications for names or "@room" in the text
    else:
        raise ValueError(f"unknown webhook kind {kind!r}")
    return Request(method, url, headers, msgspec.json.encode(payload))


# Masking

_URL_PARTS = re.compile(r"(?s)([A-Za-z][A-Za-z0-9+.\-]*://)?([^/]*)(.*)")
_TELEGRAM_TOKEN = re.compile(r"(bot[^/:]*:)[^/]*")


def _mask_segments(path: str, keep: int) -> str:
    segments = path.split("/")  # path starts with "/", so segments[0] is ""
    return "/".join(s if i <= keep or not s else _MASK for i, s in enumerate(segments))


def mask(kind: str, url: str) -> str:
    """`url` with its secret parts as "****", still recognisable; never raises on odd input."""
    if kind not in KINDS:
        raise ValueError(f"unknown webhook kind {kind!r}")
    # Parsed by hand, not with urllib, which raises on some malformed hosts.
    rest, hashed, _fragment = url.partition("#")
    rest, asked, query = rest.partition("?")
    match = _URL_PARTS.fullmatch(rest)
    assert match is not None  # every part of the pattern may be empty
    scheme, authority, path = match.group(1) or "", match.group(2), match.group(3)
    userinfo, at, host = authority.rpartition("@")
    if at:
        user, colon, _ = userinfo.partition(":")
        authority = f"{user}:{_MASK}@{host}" if colon else f"{_MASK}@{host}"
    if kind == "discord":
        segments = path.split("/")
        keep = segments.index("webhooks") + 1 if "webhooks" in segments else 0
        path = _mask_segments(path, keep)
    elif kind == "slack":
        kept = path.rstrip("/").count("/") - 1
        path = _mask_segments(path, max(kept, 0))
    elif kind == "telegram":
        found = _TELEGRAM_TOKEN.search(path)
        path = _TELEGRAM_TOKEN.sub(rf"\1{_MASK}", path) if found else _mask_segments(path, 0)
    if asked:
        pairs = (p.partition("=") for p in query.split("&"))
        query = "&".join(f"{k}={_MASK}" if eq else (_MASK if k else "") for k, eq, _ in pairs)
    return f"{scheme}{authority}{path}{asked}{query}{hashed}{_MASK if hashed else ''}"
