"""What is mailed, and to whom: mail's handlers for the outbox.

Changes announce themselves as outbox items (accounts.announce, events.announce). Mail's
handler for each kind reads who should hear of it, renders one message per recipient
(mail.messages) and queues each as its own `mail` item, in one transaction with the
links the messages carry; the `mail` handler then sends them one by one. A message is
rendered once: a retry sends the same bytes, with the same Message-ID.

Only verified addresses of members who want mail (email_notifications) are written to,
never about a change the member made themselves, except invites (every member gets the
calendar, the proposer included). The verification mail is the one mail an unverified
address gets.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import anyio.to_process

from rendezvous.accounts import queries as accounts
from rendezvous.accounts import services as accounts_services
from rendezvous.accounts.announce import EMAIL_SET
from rendezvous.accounts.server_key import ServerKey
from rendezvous.calendars import services as calendars
from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import DomainError
from rendezvous.core.tokens import hash_secret
from rendezvous.events import announce
from rendezvous.events import queries as events
from rendezvous.groups import queries as groups
from rendezvous.mail import links, messages, queries
from rendezvous.mail.links import LinkMaker
from rendezvous.mail.transport import PermanentFailure, TemporaryFailure, Transport
from rendezvous.outbox import services as outbox
from rendezvous.outbox.worker import Failed, Handler, Item, Retry
from rendezvous.settings import get_settings, parse_mail_from

log = logging.getLogger("rendezvous.mail")

MAIL = "mail"  # the outbox kind of one message to send
ANSWERS = ("yes", "maybe", "no")
CHANGE_OF: dict[str, messages.Change] = {
    announce.CONFIRMED: "confirmed",
    announce.UPDATED: "updated",
    announce.CANCELLED: "cancelled",
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A rendered message, for one member, not yet queued."""

    user_id: int
    address: str
    message_id: str
    raw: str  # the message as sent: RFC 5322, ASCII

    @classmethod
    def of(cls, user_id: int, address: str, message: EmailMessage) -> Outgoing:
        return cls(user_id, address, str(message["Message-ID"]), message.as_string())


class Mailer:
    """Mail's outbox handlers, with what they need: the server key (links) and the
    transport (sending)."""

    def __init__(self, key: ServerKey, transport: Transport) -> None:
        self._key = key
        self._transport = transport
        name, address = parse_mail_from(get_settings().mail_from)
        self._sender = messages.Sender(name or "Rendezvous", address)

    def handlers(self) -> dict[str, Handler]:
        return {
            MAIL: self.send,
            EMAIL_SET: self.verification,
            announce.PROPOSED: self.proposal,
            announce.CONFIRMED: self.invitation,
            announce.UPDATED: self.invitation,
            announce.CANCELLED: self.invitation,
            announce.PROMOTED: self.promoted,
            announce.REMINDER: self.reminder,
        }

    # --- sending -------------------------------------------------------------------------

    async def send(self, item: Item) -> None:
        payload = item.payload
        try:
            await self._transport.send(
                payload["message"].encode("utf-8"), self._sender.address, [payload["to"]]
            )
        except TemporaryFailure as exc:
            raise Retry(str(exc)) from None
        except PermanentFailure as exc:
            raise Failed(str(exc)) from None
        log.info("mail %s sent to %s", payload["message_id"], payload["to"])

    async def close(self) -> None:
        await self._transport.close()

    # --- what is mailed ------------------------------------------------------------------

    async def verification(self, item: Item) -> None:
        user_id, email = item.payload["user_id"], item.payload["email"]
        person = await accounts.person(user_id)
        if person is None or not accounts_services.same_address(person["email"], email):
            return  # the address changed again since: its own item verifies it
        if person["email_verified"]:
            return
        now = datetime.now(UTC)
        secret = links.new_verification_secret()
        expires = now + links.VERIFY_FOR
        recipient = messages.Recipient(person["name"], email, person["timezone"] or "UTC")
        message = messages.verification(
            self._sender,
            recipient,
            links.verification_url(secret),
            expires,
            message_id(item.id, user_id),
            now,
        )

        async def keep() -> None:
            await queries.prune_verifications(user_id, now)
            await queries.insert_verification(user_id, email, hash_secret(secret), expires, now)

        await self._queue(item, [Outgoing.of(user_id, email, message)], keep)

    async def proposal(self, item: Item) -> None:
        # An edit to a proposal raises its sequence but mails nothing: the proposal
        # goes out while it is one, as it is now.
        event = await events.event_row(item.payload["event_id"])
        if event is None or event["status"] != "proposed":
            return
        source = await _group_of(event)
        readers = source.readers(item.payload["actor_id"])
        if not readers:
            return  # nobody to mail: no rendering process to wait for
        options = await events.option_rows([event["id"]])
        maker = await self._links(event, readers, options)
        proposer = source.name_of(event["created_by"])
        now = datetime.now(UTC)
        work = []
        for member in readers:
            choices = [
                messages.Option(
                    option["starts_at"],
                    option["ends_at"],
                    await self._answers(maker, member, event, f"vote:{option['id']}"),
                )
                for option in options
            ]
            work.append((member, choices))

        mails = await _rendered(
            _proposals, self._sender, item.id, event, source.group, proposer, work, now
        )
        await self._queue(item, mails, maker.store)

    async def invitation(self, item: Item) -> None:
        """A confirmation, an update or a cancellation: the member's invite by iMIP,
        answered by mail to their own reply address."""
        event = await self._current(item)
        if event is None:
            return
        try:
            source = await calendars.invite_source(event["id"])
        except DomainError:
            return  # cancelled while a proposal: it never had an invite
        group = _Group(source.group, source.members)
        readers = group.readers(actor_id=None)
        if not readers:
            return
        maker = await self._links(event, readers, [])
        change = CHANGE_OF[item.kind]
        proposer = source.proposer
        proposer_name = proposer["name"] if proposer else self._sender.name
        proposer_address = proposer["email"] if proposer and proposer["email_verified"] else None
        now = datetime.now(UTC)
        work = []
        for member in readers:
            reply = links.reply_address(await maker.secret(member["user_id"], event["id"], "reply"))
            answers = (
                None if change == "cancelled" else await self._answers(maker, member, event, "rsvp")
            )
            work.append((member, reply, answers))

        mails = await _rendered(
            _invitations,
            self._sender,
            item.id,
            source,
            proposer_name,
            proposer_address,
            change,
            work,
            now,
        )
        await self._queue(item, mails, maker.store)

    async def promoted(self, item: Item) -> None:
        event = await events.event_row(item.payload["event_id"])
        if event is None or event["status"] == "cancelled":
            return
        source = await _group_of(event)
        member = source.member(item.payload["user_id"])
        if member is None or not _wants_mail(member):
            return
        message = messages.promoted(
            self._sender,
            _recipient(member, event),
            _meetup(event, source.group),
            message_id(item.id, member["user_id"]),
            datetime.now(UTC),
        )
        await self._queue(item, [Outgoing.of(member["user_id"], member["email"], message)])

    async def reminder(self, item: Item) -> None:
        event = await events.event_row(item.payload["event_id"])
        if event is None or event["status"] != "confirmed" or event["starts_at"] is None:
            return
        if event["starts_at"] != datetime.fromisoformat(item.payload["starts_at"]):
            return  # the start moved: the reminder for the new one is its own item
        source = await _group_of(event)
        answers = await events.answers(event["id"])
        now = datetime.now(UTC)
        mails = []
        for member in source.readers(actor_id=None):
            answer = answers.get(member["user_id"])
            if answer is None or answer["status"] == "no" or answer["waitlisted"]:
                continue
            message = messages.reminder(
                self._sender,
                _recipient(member, event),
                _meetup(event, source.group),
                answer["status"],
                message_id(item.id, member["user_id"]),
                now,
            )
            mails.append(Outgoing.of(member["user_id"], member["email"], message))
        await self._queue(item, mails)

    # --- helpers -------------------------------------------------------------------------

    async def _current(self, item: Item) -> dict[str, Any] | None:
        """The event the item is about, unless a later change overtook the item (that
        change sends its own mail)."""
        event = await events.event_row(item.payload["event_id"])
        if event is None or event["sequence"] != item.payload["sequence"]:
            return None
        return event

    async def _links(
        self, event: dict[str, Any], members: Sequence[dict[str, Any]], options: Sequence[Any]
    ) -> LinkMaker:
        actions = ["reply", *(f"rsvp:{a}" for a in ANSWERS)]
        actions += [f"vote:{o['id']}:{a}" for o in options for a in ANSWERS]
        scopes = [links.scope(m["user_id"], event["id"], a) for m in members for a in actions]
        return LinkMaker(self._key, await queries.nonces(scopes), datetime.now(UTC))

    async def _answers(
        self, maker: LinkMaker, member: dict[str, Any], event: dict[str, Any], action: str
    ) -> messages.Links:
        urls = [
            links.action_url(await maker.secret(member["user_id"], event["id"], f"{action}:{a}"))
            for a in ANSWERS
        ]
        return messages.Links(*urls)

    async def _queue(
        self,
        item: Item,
        mails: Sequence[Outgoing],
        keep: Callable[[], Any] | None = None,
    ) -> None:
        if mails:  # nobody to tell: no transaction to take SQLite's writer for
            await _queue(item.id, mails, keep)


@transactional
async def _queue(item_id: int, mails: Sequence[Outgoing], keep: Callable[[], Any] | None) -> None:
    """Queue the rendered mails with the links they carry, all or nothing. Each mail's
    key makes a second run of one item (a worker died before recording it) a no-op."""
    if keep is not None and await keep() is False:
        raise Retry("another mail made links for the same member at the same moment")
    await outbox.put_all(
        [
            outbox.Entry(
                MAIL,
                {"to": mail.address, "message_id": mail.message_id, "message": mail.raw},
                key=f"mail:{item_id}:{mail.user_id}",
            )
            for mail in mails
        ]
    )


# --- rendering -------------------------------------------------------------------------


def message_id(item_id: int, user_id: int) -> str:
    # Random too, so that a database started afresh never repeats an id (mail services
    # drop a message whose id they have seen).
    tag = secrets.token_hex(4)
    return f"<rdv.{item_id}.{user_id}.{tag}@{get_settings().mail_domain}>"


async def _rendered(render: Callable[..., list[Outgoing]], *args: Any) -> list[Outgoing]:
    """A group's mails, written in a process of their own: at 200 members that is about
    a second of work (bench/README.md, Mail), which in a thread would still hold this
    process's interpreter lock, and its requests with it."""
    return await anyio.to_process.run_sync(render, *args, cancellable=True)


def _invitations(
    sender: messages.Sender,
    item_id: int,
    source: calendars.InviteSource,
    proposer: str,
    proposer_address: str | None,
    change: messages.Change,
    work: list[tuple[dict[str, Any], str, messages.Links | None]],
    now: datetime,
) -> list[Outgoing]:
    replies = {member["user_id"]: f"mailto:{reply}" for member, reply, _ in work}
    invites = calendars.invites_for(source, replies, proposer, now)
    event = source.row
    return [
        Outgoing.of(
            member["user_id"],
            member["email"],
            messages.invitation(
                sender,
                _recipient(member, event),
                _meetup(event, source.group),
                proposer,
                proposer_address,
                change,
                invites[member["user_id"]],
                answers,
                message_id(item_id, member["user_id"]),
                now,
            ),
        )
        for member, _, answers in work
    ]


def _proposals(
    sender: messages.Sender,
    item_id: int,
    event: dict[str, Any],
    group: str,
    proposer: str,
    work: list[tuple[dict[str, Any], list[messages.Option]]],
    now: datetime,
) -> list[Outgoing]:
    return [
        Outgoing.of(
            member["user_id"],
            member["email"],
            messages.proposal(
                sender,
                _recipient(member, event),
                _meetup(event, group),
                proposer,
                choices,
                message_id(item_id, member["user_id"]),
                now,
            ),
        )
        for member, choices in work
    ]


# --- who hears of it -------------------------------------------------------------------


def _wants_mail(member: dict[str, Any]) -> bool:
    return bool(member["email"] and member["email_verified"] and member["email_notifications"])


@dataclass(frozen=True, slots=True)
class _Group:
    group: str  # its name
    members: list[dict[str, Any]]  # groups.queries.member_contacts

    def readers(self, actor_id: int | None) -> list[dict[str, Any]]:
        """Members who get mail about a change `actor_id` made."""
        return [m for m in self.members if _wants_mail(m) and m["user_id"] != actor_id]

    def member(self, user_id: int) -> dict[str, Any] | None:
        return next((m for m in self.members if m["user_id"] == user_id), None)

    def name_of(self, user_id: int | None) -> str:
        member = self.member(user_id) if user_id is not None else None
        return member["name"] if member else "Someone"


async def _group_of(event: dict[str, Any]) -> _Group:
    group = await groups.group_row(event["group"])
    return _Group(group["name"] if group else "", await groups.member_contacts(event["group"]))


def _recipient(member: Mapping[str, Any], event: Mapping[str, Any]) -> messages.Recipient:
    return messages.Recipient(
        member["name"], member["email"], member["timezone"] or event["timezone"]
    )


def _meetup(event: Mapping[str, Any], group: str) -> messages.Meetup:
    place = ", ".join(p for p in (event["venue_name"], event["venue_address"]) if p)
    return messages.Meetup(
        title=event["title"],
        group=group,
        description=event["description"] or "",
        url=f"{get_settings().public_url}/events/{event['id']}",
        start=event["starts_at"],
        end=event["ends_at"],
        timezone=event["timezone"],
        location=place or None,
    )
