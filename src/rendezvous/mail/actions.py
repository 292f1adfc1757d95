"""What one-click links and verification links do, as pages: GET describes, POST acts.

The rules are the API's own (events.services, events.rsvps, accounts.services); this
module only finds what a secret names and words the outcome. A secret that is unknown,
expired, for a cancelled or started event, or for someone no longer in the group, is a
404 page: the link simply doesn't work any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from rendezvous.accounts import announce
from rendezvous.accounts import queries as accounts
from rendezvous.accounts import services as accounts_services
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, DomainError, NotFound
from rendezvous.core.http_errors import status_of
from rendezvous.core.locks import KeyedLock
from rendezvous.core.times import when
from rendezvous.events import queries as events
from rendezvous.events import rsvps
from rendezvous.events import services as event_services
from rendezvous.events.schemas import Choice, RsvpIn
from rendezvous.groups import queries as groups
from rendezvous.mail import links

CHOICE_WORDS = {"yes": "Yes", "maybe": "Maybe", "no": "No"}


@dataclass(frozen=True, slots=True)
class Page:
    template: str  # mail.pages: confirm.html, outcome.html, not_found.html
    context: dict[str, Any] = field(default_factory=dict)
    status_code: int = 200


def not_found(message: str = "It may have expired, or the meetup may have been cancelled.") -> Page:
    return Page("not_found.html", {"heading": "This link doesn't work", "message": message}, 404)


@dataclass(frozen=True, slots=True)
class _Found:
    link: dict[str, Any]
    event: dict[str, Any]
    group: str


async def _find(secret: str, action_prefix: str) -> _Found | None:
    link = await links.find(secret)
    if link is None or not link["action"].startswith(action_prefix) or link["event"] is None:
        return None
    event = await events.event_row(link["event"])
    if event is None or event["status"] == "cancelled":
        return None
    if event["starts_at"] is not None and event["starts_at"] <= datetime.now(UTC):
        return None
    if await groups.role_of(event["group"], link["user"]) is None:
        return None  # they left the group
    group = await groups.group_row(event["group"])
    return _Found(link, event, group["name"] if group else "")


def _option_of(action: str) -> tuple[int, str]:
    _, option, choice = action.split(":")
    return int(option), choice


# --- one-click links -------------------------------------------------------------------


async def describe(secret: str) -> Page:
    """GET /a/<secret>: what the button will do."""
    found = await _find(secret, "")
    if found is None or found.link["action"] == "reply":
        return not_found()
    event, action = found.event, found.link["action"]
    title = f"\u201c{event['title']}\u201d in {found.group}"
    if action.startswith("vote:"):
        option_id, choice = _option_of(action)
        option = next(
            (o for o in await events.option_rows([event["id"]]) if o["id"] == option_id), None
        )
        if option is None:
            return not_found("That time is no longer one of the options.")
        span = when(option["starts_at"], option["ends_at"], event["timezone"])
        return Page(
            "confirm.html",
            {
                "heading": f"Vote {CHOICE_WORDS[choice]}",
                "explanation": f"You're answering {CHOICE_WORDS[choice]} to {span} for {title}.",
                "button": f"Vote {CHOICE_WORDS[choice]}",
            },
        )
    choice = action.removeprefix("rsvp:")
    span = when(event["starts_at"], event["ends_at"], event["timezone"])
    saying = {
        "yes": "you're going to",
        "maybe": "you might come to",
        "no": "you can't make it to",
    }[choice]
    return Page(
        "confirm.html",
        {
            "heading": f"Answer {CHOICE_WORDS[choice]}",
            "explanation": f"This tells the group {saying} {title} on {span}.",
            "button": {"yes": "I'm going", "maybe": "Maybe", "no": "I can't go"}[choice],
        },
    )


async def perform(secret: str, answering: KeyedLock) -> Page:
    """POST /a/<secret>: do it, with the API's rules; a refusal (a full event for a
    party, voting closed) is an outcome page with the API's status code."""
    found = await _find(secret, "")
    if found is None or found.link["action"] == "reply":
        return not_found()
    event, action, user_id = found.event, found.link["action"], found.link["user"]
    try:
        if action.startswith("vote:"):
            option_id, choice = _option_of(action)
            await event_services.put_vote(event["id"], user_id, option_id, choice)
            return _outcome(
                "Vote saved",
                f"Thanks: your {CHOICE_WORDS[choice]} for \u201c{event['title']}\u201d is in. "
                "Your votes on the other times are as they were.",
            )
        choice = action.removeprefix("rsvp:")
        before = await events.answer_of(event["id"], user_id) or {"guests": 0, "note": ""}
        answer = RsvpIn(
            status=cast(Choice, choice),
            guests=before["guests"] if choice == "yes" else 0,
            note=before["note"],
        )
        rsvp = await rsvps.put_rsvp(event["id"], user_id, answer, answering)
    except DomainError as exc:
        return Page(
            "outcome.html",
            {"heading": "That didn't work", "message": exc.detail},
            status_of(exc),
        )
    if rsvp.waitlisted:
        return _outcome(
            f"You're on the waitlist, #{rsvp.waitlist_position}",
            "The meetup is full for now. If a seat opens up, it's yours in turn, "
            "and we'll tell you by mail.",
        )
    return _outcome(
        {
            "yes": "You're going!",
            "maybe": "Marked as maybe",
            "no": "Thanks for letting them know",
        }[choice],
        f"Your answer to \u201c{event['title']}\u201d is saved. You can change it any time "
        "from the same mail.",
    )


def _outcome(heading: str, message: str) -> Page:
    return Page("outcome.html", {"heading": heading, "message": message})


# --- verification links ----------------------------------------------------------------


async def _verification(secret: str) -> dict[str, Any] | None:
    link = await links.find(secret)
    if link is None or link["action"] != "verify":
        return None
    if link["expires_at"] is None or link["expires_at"] <= datetime.now(UTC):
        return None
    person = await accounts.person(link["user"])
    if person is None or not accounts_services.same_address(person["email"], link["email"]):
        return None  # the address changed since: this link verified the old one
    return link


async def describe_verification(secret: str) -> Page:
    link = await _verification(secret)
    if link is None:
        return not_found("It may have expired (links last 7 days), or the address changed since.")
    return Page(
        "confirm.html",
        {
            "heading": "Confirm your e-mail address",
            "explanation": f"Confirm {link['email']} as the address Rendezvous writes to.",
            "button": "Confirm my address",
        },
    )


async def verify(secret: str) -> Page:
    link = await _verification(secret)
    if link is None or not await _verify(link):
        return not_found("It may have expired (links last 7 days), or the address changed since.")
    return _outcome(
        "Address confirmed",
        f"Thanks: {link['email']} is confirmed. Invites and updates for your groups' "
        "meetups will come here.",
    )


@transactional
async def _verify(link: dict[str, Any]) -> bool:
    return await accounts_services.verify_email(link["user"], link["email"])


async def resend_verification(user_id: int) -> None:
    """POST /me/email/verification: a fresh link to the caller's unverified address."""
    await _resend(user_id)


@transactional
async def _resend(user_id: int) -> None:
    person = await accounts.person(user_id)
    if person is None:
        raise NotFound("User not found")
    if not person["email"]:
        raise Conflict("Your account has no e-mail address: set one with PATCH /me")
    if person["email_verified"]:
        raise Conflict("Your e-mail address is verified already")
    await announce.email_set(user_id, person["email"])
