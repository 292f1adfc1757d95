"""Replies from calendar apps by mail: what `rendezvous mail-in` does with a REPLY sent
to a member's reply address. The address names the member and the event; the REPLY is
applied by the same code as POST /events/{id}/reply, for that member's verified address
only, while they are in the event's group."""

from __future__ import annotations

from typing import Any

from rendezvous.accounts import queries as accounts
from rendezvous.calendars import services as calendars
from rendezvous.core.errors import Forbidden, NotFound
from rendezvous.core.locks import KeyedLock
from rendezvous.events import queries as events
from rendezvous.groups import queries as groups
from rendezvous.mail import links


async def _link(secret: str) -> dict[str, Any] | None:
    # lowercase, as made: a mail system may have changed the address's case
    link = await links.find(secret.lower())
    return link if link is not None and link["action"] == "reply" else None


async def knows(secret: str) -> bool:
    """Whether `rsvp-<secret>@...` is a reply address (mail-in's RCPT check)."""
    return await _link(secret) is not None


async def apply(secret: str, calendar: bytes, answering: KeyedLock) -> None:
    """Apply one REPLY; raises a DomainError (which mail-in logs) for one it refuses."""
    link = await _link(secret)
    if link is None:
        raise NotFound("no such reply address")
    person = await accounts.person(int(link["user"]))
    if person is None or not person["email"] or not person["email_verified"]:
        raise Forbidden("the member has no verified address to answer from")
    event_id = int(link["event"])
    # POST /events/{id}/reply is for members only (its guard); the address outlives membership.
    event = await events.event_row(event_id)
    if event is None or await groups.role_of(event["group"], person["id"]) is None:
        raise Forbidden("the member is no longer in the event's group")
    addresses = {f"mailto:{person['email']}"}
    await calendars.reply_as(
        event_id,
        person["id"],
        calendar,
        addresses,
        answering,
    )
