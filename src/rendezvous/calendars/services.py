"""Calendars: a member's invite to an event, their private feed, and iTIP replies.

The iCalendar itself is built by calendars.ics (pure); this module gathers what goes
into it and applies the rules: who is addressed how, what a feed holds, what a reply
may change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from typing import Any, cast

import anyio.to_thread

from rendezvous import __version__
from rendezvous.accounts import queries as accounts
from rendezvous.accounts.schemas import Caller
from rendezvous.accounts.server_key import ServerKey
from rendezvous.calendars import ics, queries
from rendezvous.calendars.schemas import FeedLinks
from rendezvous.core.conditional import not_modified
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, Forbidden, Invalid, NotFound, Unprocessable
from rendezvous.core.freshness import WorkerCaches
from rendezvous.core.locks import KeyedLock
from rendezvous.core.tokens import hash_secret
from rendezvous.events import queries as events
from rendezvous.events import rsvps
from rendezvous.events.schemas import MAX_GUESTS, Choice, Rsvp, RsvpIn
from rendezvous.groups import queries as groups
from rendezvous.settings import get_settings

Row = Mapping[str, Any]

PARTSTAT_OF: dict[str, ics.PartStat] = {"yes": "ACCEPTED", "maybe": "TENTATIVE", "no": "DECLINED"}
ANSWER_OF: dict[str, str] = {partstat: answer for answer, partstat in PARTSTAT_OF.items()}
# Members without an e-mail are still attendees. RFC 2606 reserves .invalid: the
# address is a valid mailto: URI that no mail can ever be sent to.
NO_EMAIL_DOMAIN = "rendezvous.invalid"

FEED_PREFIX = "rzf"
# A feed holds confirmed events from 90 days ago to two years ahead, and cancelled
# ones for 30 days after their cancellation, at most 1,000 of them (the soonest); the
# days count from the start of today, UTC.
FEED_PAST = timedelta(days=90)
FEED_FUTURE = timedelta(days=730)
FEED_CANCELLED_FOR = timedelta(days=30)
FEED_MAX_EVENTS = 1000
FEED_REFRESH = timedelta(hours=1)
MAX_NOTE = 5000


# --- who is who ------------------------------------------------------------------------


def member_address(user_id: int, email: str | None, verified: bool) -> str:
    """How a member is addressed in calendars: by their e-mail once verified, else by an
    address that can receive nothing."""
    if email and verified:
        return f"mailto:{email}"
    return f"mailto:member-{user_id}@{NO_EMAIL_DOMAIN}"


def _partstat_of(answer: Row | None) -> ics.PartStat:
    """An RSVP as a PARTSTAT. A waitlisted yes is TENTATIVE: they want to come but hold
    no seat yet, and answering Accept again keeps their place in the queue."""
    if answer is None:
        return "NEEDS-ACTION"
    return "TENTATIVE" if answer["waitlisted"] else PARTSTAT_OF[answer["status"]]


def _calendar_event(
    row: Row,
    group: str,
    organizer: ics.Person | None = None,
    attendees: tuple[ics.Attendee, ...] = (),
) -> ics.CalendarEvent:
    url = f"{get_settings().public_url}/events/{row['id']}"
    description = "\n\n".join(
        part for part in (row["description"], f"Group: {group}\nDetails and RSVPs: {url}") if part
    )
    place = ", ".join(part for part in (row["venue_name"], row["venue_address"]) if part)
    located = row["venue_latitude"] is not None and row["venue_longitude"] is not None
    return ics.CalendarEvent(
        uid=row["ical_uid"],
        sequence=row["sequence"],
        status="CANCELLED" if row["status"] == "cancelled" else "CONFIRMED",
        title=row["title"],
        description=description,
        url=url,
        start=row["starts_at"],
        end=row["ends_at"],
        timezone=row["timezone"],
        created=row["created_at"],
        last_modified=row["updated_at"],
        location=place or None,
        geo=(row["venue_latitude"], row["venue_longitude"]) if located else None,
        organizer=organizer,
        attendees=attendees,
    )


# --- invites ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IcsFile:
    content: bytes
    method: str
    filename: str


async def _confirmed_event(event_id: int) -> Row:
    row = await events.event_row(event_id)
    if row is None:
        raise NotFound("Event not found")
    if row["status"] == "proposed":
        raise Conflict("This event is still a proposal: it has an invite once it is confirmed")
    if row["starts_at"] is None:
        raise Conflict("This event was cancelled while still a proposal: it never had an invite")
    return row


@dataclass(frozen=True, slots=True)
class InviteSource:
    """Everything an event's invites are made of, read once for all its members."""

    row: Row  # the event
    group: str  # its group's name
    members: list[dict[str, Any]]  # groups.queries.member_contacts
    answers: Mapping[int, Row]  # RSVPs by member
    proposer: Row | None  # user_id, name, email, email_verified; None once gone

    @property
    def method(self) -> ics.Method:
        return "CANCEL" if self.row["status"] == "cancelled" else "REQUEST"


async def invite_source(event_id: int) -> InviteSource:
    row = await _confirmed_event(event_id)
    members = await groups.member_contacts(row["group"])
    proposer: Row | None = next((m for m in members if m["user_id"] == row["created_by"]), None)
    if proposer is None and row["created_by"] is not None:  # the proposer has left
        person = await accounts.person(row["created_by"])
        if person is not None:
            proposer = {**person, "user_id": person["id"]}
    group = await groups.group_row(row["group"])
    return InviteSource(
        row, group["name"] if group else "", members, await events.answers(event_id), proposer
    )


def invite_for(
    source: InviteSource,
    member_id: int | None,
    stamp: datetime,
    organizer: ics.Person | None = None,
) -> bytes:
    """One member's invite: everyone in the group as an attendee, that member (if any)
    asked to answer; METHOD:CANCEL once the event is cancelled. `organizer` replaces the
    proposer as ORGANIZER (a mailed invite names the address its answers go to)."""
    row, proposer = source.row, source.proposer
    attendees = tuple(
        ics.Attendee(
            ics.Person(member_address(m["user_id"], m["email"], m["email_verified"]), m["name"]),
            _partstat_of(source.answers.get(m["user_id"])),
            "CHAIR" if m["user_id"] == row["created_by"] else "REQ-PARTICIPANT",
            rsvp=m["user_id"] == member_id,
        )
        for m in source.members
    )
    if organizer is None and proposer is not None:
        address = member_address(proposer["user_id"], proposer["email"], proposer["email_verified"])
        organizer = ics.Person(address, proposer["name"])
    event = _calendar_event(row, source.group, organizer, attendees)
    return ics.invite(event, source.method, stamp)


_ORGANIZER_TO_COME = "mailto:organizer@rendezvous.invalid"


def invites_for(
    source: InviteSource, reply_addresses: Mapping[int, str], organizer: str, stamp: datetime
) -> dict[int, bytes]:
    """Each member's mailed invite: as invite_for, with ORGANIZER their own reply address
    (`mailto:` URIs by member) named `organizer`. Written once for the group, then
    addressed to each member (ics.addressed)."""
    shared = invite_for(source, None, stamp, ics.Person(_ORGANIZER_TO_COME, organizer))
    members = {m["user_id"]: m for m in source.members}
    return {
        user_id: ics.addressed(
            shared,
            _ORGANIZER_TO_COME,
            reply,
            member_address(user_id, members[user_id]["email"], members[user_id]["email_verified"]),
        )
        for user_id, reply in reply_addresses.items()
    }


async def invite(event_id: int, caller_id: int) -> IcsFile:
    """The caller's invite (invite_for)."""
    source = await invite_source(event_id)
    # Thousands of attendees take a while to write: keep the event loop free meanwhile.
    content = await anyio.to_thread.run_sync(invite_for, source, caller_id, datetime.now(UTC))
    return IcsFile(content, source.method, f"rendezvous-event-{event_id}.ics")


# --- replies ---------------------------------------------------------------------------


async def reply(event_id: int, caller: Caller, body: bytes, answering: KeyedLock) -> Rsvp:
    """Apply an iTIP REPLY from the caller's calendar app as their RSVP."""
    me = await accounts.person(caller.id)
    email = me["email"] if me is not None else None
    # The caller proved who they are with a token: any address of theirs will do.
    mine = {member_address(caller.id, None, False), member_address(caller.id, email, True)}
    return await reply_as(event_id, caller.id, body, mine, answering)


async def reply_as(
    event_id: int, user_id: int, body: bytes, addresses: set[str], answering: KeyedLock
) -> Rsvp:
    """Apply an iTIP REPLY as `user_id`'s RSVP, if it answers for one of `addresses`
    (the member's mailto: URIs, compared without case). For POST /events/{id}/reply and
    for replies by mail."""
    try:
        answer = ics.parse_reply(body)
    except ics.InvalidCalendar as exc:
        raise Invalid(str(exc)) from None
    row = await _confirmed_event(event_id)
    if answer.uid != row["ical_uid"]:
        raise Unprocessable(f"This reply is for another event (UID {answer.uid[:100]!r})")
    if answer.attendee.lower() not in {address.lower() for address in addresses}:
        raise Forbidden(
            f"This reply answers for {answer.attendee[:200]!r}; you can only answer for yourself"
        )
    status = ANSWER_OF.get(answer.partstat)
    if status is None:
        raise Unprocessable(
            f"PARTSTAT {answer.partstat[:40]} is not an answer: "
            "send ACCEPTED, TENTATIVE or DECLINED"
        )
    before = await events.answer_of(event_id, user_id) or {"guests": 0, "note": ""}
    guests = before["guests"] if answer.guests is None else answer.guests
    note = before["note"] if answer.comment is None else answer.comment
    if not 0 <= guests <= MAX_GUESTS:
        raise Invalid(f"X-NUM-GUESTS must be between 0 and {MAX_GUESTS}")
    if len(note) > MAX_NOTE:
        raise Invalid(f"COMMENT must be at most {MAX_NOTE} characters")
    data = RsvpIn(status=cast(Choice, status), guests=guests, note=note)
    return await rsvps.put_rsvp(event_id, user_id, data, answering, sequence=answer.sequence)


# --- feed secrets ----------------------------------------------------------------------


async def _feed_secret(key: ServerKey, nonce: str) -> str:
    return await key.derive(f"feed:{nonce}", FEED_PREFIX)


def _links(token: str) -> FeedLinks:
    url = f"{get_settings().public_url}/feeds/{token}.ics"
    return FeedLinks(url=url, webcal_url="webcal://" + url.split("://", 1)[1])


async def feed_links(user_id: int, key: ServerKey) -> FeedLinks:
    """The caller's feed address, made on first request; the same until rotated."""
    feed = await queries.feed_of_user(user_id)
    if feed is None:
        nonce = secrets.token_urlsafe(24)
        await _save_feed_secret(user_id, nonce, await _feed_secret(key, nonce), replace=False)
        feed = await queries.feed_of_user(user_id)  # ours, or a concurrent request's
        assert feed is not None
    token = await _feed_secret(key, feed["nonce"])
    if hash_secret(token) != feed["token_hash"]:
        # The signing key changed: the old address is dead; this one works from now on.
        await _save_feed_secret(user_id, feed["nonce"], token, replace=True)
    return _links(token)


async def rotate_feed(user_id: int, key: ServerKey) -> FeedLinks:
    """A new feed address; the old one answers 404 from now on."""
    nonce = secrets.token_urlsafe(24)
    token = await _feed_secret(key, nonce)
    await _save_feed_secret(user_id, nonce, token, replace=True)
    return _links(token)


@transactional
async def _save_feed_secret(user_id: int, nonce: str, token: str, replace: bool) -> None:
    await queries.save_feed_secret(user_id, nonce, hash_secret(token), datetime.now(UTC), replace)


# --- feeds -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedResponse:
    content: bytes | None  # None: 304, the client's copy is current
    etag: str
    last_modified: str


def _fingerprint(name: str, day: date, groups_shown: Sequence[Row]) -> str:
    """A hash of everything a feed's bytes depend on: the owner's name, the day (the
    window moves daily) and each group's name and revision, which every change to one of
    its events that calendars show moves (core.freshness); so an unchanged hash means
    unchanged bytes. The group's creation time tells apart a group from a later one that
    reuses its id."""
    parts = [__version__, get_settings().public_url, name, day.isoformat()]
    parts += [f"{g['id']} {g['created_at']} {g['revision']} {g['name']}" for g in groups_shown]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _write_feed(name: str, rows: Sequence[Row], group_names: dict[int, str]) -> bytes:
    return ics.feed(
        name,
        [_calendar_event(row, group_names[row["group"]]) for row in rows],
        FEED_REFRESH,
    )


async def feed(
    token: str, if_none_match: str | None, if_modified_since: str | None, caches: WorkerCaches
) -> FeedResponse:
    """A member's feed by its secret, or a 304 when the client's copy is current."""
    if not token.startswith(f"{FEED_PREFIX}_") or len(token) > 100 or not token.isascii():
        raise NotFound("No such feed")
    rows = await queries.feed_by_hash(hash_secret(token))
    if not rows:
        raise NotFound("No such feed (its address may have been rotated)")
    found = rows[0]
    groups_shown = [row for row in rows if row["id"] is not None]
    now = datetime.now(UTC)
    # The window is anchored at the start of the day (UTC), so that it moves once a day:
    # within a day, the events it holds change only when an event or group does.
    today = datetime.combine(now.date(), time(), UTC)
    name = f"Rendezvous: {found['member_name']}"
    fingerprint = _fingerprint(name, today.date(), groups_shown)
    changed_at: datetime = found["changed_at"]
    if fingerprint != found["fingerprint"]:
        changed_at = now
        await _mark_feed_changed(found["feed_id"], fingerprint, now)
    etag = f'"{fingerprint[:32]}"'
    changed_at = changed_at.replace(microsecond=0)
    last_modified = format_datetime(changed_at.astimezone(UTC), usegmt=True)
    if not_modified(if_none_match, if_modified_since, etag, changed_at):
        return FeedResponse(None, etag, last_modified)

    async def write() -> bytes:
        # A change landing between the reads is written under the older fingerprint; the
        # next request sees the new one and writes the feed again.
        rows = await events.calendar_rows(
            [g["id"] for g in groups_shown],
            today - FEED_CANCELLED_FOR,
            today - FEED_PAST,
            today + FEED_FUTURE,
            FEED_MAX_EVENTS,
        )
        names = {g["id"]: g["name"] for g in groups_shown}
        return await anyio.to_thread.run_sync(_write_feed, name, rows, names)

    content = await caches.rendered_feeds.get_or_compute(fingerprint, write)
    return FeedResponse(content, etag, last_modified)


@transactional
async def _mark_feed_changed(feed_id: int, fingerprint: str, now: datetime) -> None:
    await queries.mark_feed_changed(feed_id, fingerprint, now)
