"""What is posted to a group's chats: webhooks' handlers for the outbox.

Changes announce themselves as outbox items (events.announce). For each, the handler
writes one `webhook` delivery per active destination of the group that wants that event
type, in one transaction; the `webhook` handler then sends each one. A delivery holds
what happened as it was told (the event as the API showed it then), so that every
attempt sends the same message with the same id (a generic `webhook-id`, a Matrix
transaction id): receivers can drop a repeat.

Unlike mail, an announcement a later change overtook is still posted: a chat (or a
generic receiver) hears of every change, in order.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec

from rendezvous.accounts import queries as accounts
from rendezvous.accounts.server_key import ServerKey
from rendezvous.core.db.transactions import transactional
from rendezvous.events import announce
from rendezvous.events import queries as events
from rendezvous.groups import queries as groups
from rendezvous.outbox import services as outbox
from rendezvous.outbox.worker import Failed, Handler, Item, Retry
from rendezvous.settings import get_settings
from rendezvous.webhooks import formats, guard, queries, services
from rendezvous.webhooks.sealing import Sealer, Unreadable
from rendezvous.webhooks.services import topic
from rendezvous.webhooks.transport import Sender, Unreachable

log = logging.getLogger("rendezvous.webhooks")

WEBHOOK = "webhook"  # the outbox kind of one delivery
ANNOUNCED = (
    announce.PROPOSED,
    announce.CONFIRMED,
    announce.UPDATED,
    announce.CANCELLED,
    announce.REMINDER,
    announce.PROMOTED,
    announce.RSVP_CHANGED,
)
# Waits after the 1st, 2nd, ... failed attempt; after the last, a failure is final. A
# Retry-After the receiver sends is honoured instead (up to the transport's cap).
BACKOFF_S = (5, 60, 600, 3600, 6 * 3600)
PARALLEL = 8  # deliveries sent side by side: one slow chat must not hold up the rest


class Poster:
    """Webhooks' outbox handlers, with what they need: the sealer (secrets) and the
    HTTP sender."""

    def __init__(self, key: ServerKey, sender: Sender) -> None:
        self._sealer = Sealer(key)
        self._sender = sender

    def handlers(self) -> dict[str, Handler]:
        return {WEBHOOK: self.deliver, **dict.fromkeys(ANNOUNCED, self.announcement)}

    async def close(self) -> None:
        await self._sender.close()

    # --- what is posted ------------------------------------------------------------------

    async def announcement(self, item: Item) -> None:
        payload = item.payload
        event = await events.event_row(payload["event_id"])
        if event is None:
            return  # deleted with its group
        if item.kind == announce.REMINDER and not _still_due(event, payload):
            return
        hooks = await queries.listening(event["group"], item.kind)
        if not hooks:
            return
        news = await _news(item, event)
        await _queue(
            [
                outbox.Entry(
                    WEBHOOK,
                    {"webhook_id": hook["id"], "delivery_id": _delivery_id(), "news": news},
                    key=f"webhook:{item.id}:{hook['id']}",
                    topic=topic(hook["id"]),
                    label=item.kind,
                )
                for hook in hooks
            ]
        )

    # --- sending -------------------------------------------------------------------------

    async def deliver(self, item: Item) -> int:
        hook = await queries.destination(item.payload["webhook_id"])
        if hook is None:
            raise Failed("the webhook was deleted")
        if not hook["active"]:
            raise Failed("the webhook is inactive")
        request = formats.request_for(
            await self._destination(hook), _told(item.payload), datetime.now(UTC)
        )
        host = urlsplit(hook["url"]).hostname or "?"  # never the whole URL: it holds a token
        try:
            response = await self._sender.send(
                request.method, request.url, request.headers, request.body
            )
        except guard.Refused as exc:
            raise Failed(f"refused: {exc}") from None
        except Unreachable as exc:
            raise _again(item, str(exc), None, None) from None
        status = response.status
        if 200 <= status < 300:
            log.info("webhook %d: %s delivered to %s (%d)", hook["id"], item.id, host, status)
            return status
        if status == 410:
            await services.deactivate(hook["group"], hook["id"])
            log.warning("webhook %d: %s answered 410 Gone: now inactive", hook["id"], host)
            raise Failed(f"{host} answered 410 Gone: the webhook is now inactive", code=410)
        if status == 429 or status >= 500:
            raise _again(item, f"{host} answered {status}", status, response.retry_after)
        raise Failed(f"{host} answered {status}", code=status)

    async def _destination(self, hook: dict[str, Any]) -> formats.Destination:
        try:
            kept = await self._sealer.open(hook["sealed"]) if hook["sealed"] else None
        except Unreadable as exc:
            raise Failed(str(exc)) from None
        return formats.Destination(
            kind=hook["kind"],
            url=hook["url"],
            secret=kept if hook["kind"] == "generic" else None,
            telegram_chat_id=hook["telegram_chat_id"],
            matrix_access_token=kept if hook["kind"] == "matrix" else None,
        )


def _again(item: Item, reason: str, code: int | None, retry_after: float | None) -> Exception:
    """Retry on this kind's own schedule, or give up after its last step."""
    if item.attempts > len(BACKOFF_S):
        return Failed(f"{reason}, after {item.attempts} attempts", code=code)
    wait = retry_after if retry_after is not None else BACKOFF_S[item.attempts - 1]
    return Retry(reason, after=timedelta(seconds=wait), code=code)


def _still_due(event: dict[str, Any], payload: dict[str, Any]) -> bool:
    """A reminder for a meetup still on, at the start it was written for."""
    return (
        event["status"] == "confirmed"
        and event["starts_at"] is not None
        and event["starts_at"] == datetime.fromisoformat(payload["starts_at"])
    )


def _delivery_id() -> str:
    # Random, not the outbox id: a database started afresh must not repeat an id that a
    # receiver keeps to drop repeats.
    return f"msg_{secrets.token_urlsafe(18)}"


async def _news(item: Item, event: dict[str, Any]) -> dict[str, Any]:
    """What happened, as kept in each delivery (JSON)."""
    payload = item.payload
    [shown] = await events.build_events([event])
    group = await groups.group_row(event["group"])
    member_id = payload.get("user_id")
    extra: dict[str, Any] = {}
    if item.kind == announce.RSVP_CHANGED:
        extra["rsvp"] = {"user_id": member_id, **(payload["rsvp"] or {"status": None})}
    elif member_id is not None:
        extra["user_id"] = member_id
    return {
        "type": item.kind,
        "occurred_at": item.created_at.isoformat(),
        "group_id": event["group"],
        "group": group["name"] if group else "",
        "event": msgspec.to_builtins(shown),
        "url": f"{get_settings().public_url}/events/{event['id']}",
        "actor": await _name(payload.get("actor_id")),
        "member": await _name(member_id),
        "extra": extra,
    }


async def _name(user_id: int | None) -> str | None:
    person = await accounts.person(user_id) if user_id is not None else None
    return person["name"] if person else None


def _told(payload: dict[str, Any]) -> formats.News:
    news = payload["news"]
    return formats.News(
        type=news["type"],
        delivery_id=payload["delivery_id"],
        occurred_at=datetime.fromisoformat(news["occurred_at"]),
        group_id=news["group_id"],
        group=news["group"],
        event=news["event"],
        url=news["url"],
        actor=news["actor"],
        member=news["member"],
        extra=news["extra"],
    )


@transactional
async def _queue(entries: list[outbox.Entry]) -> None:
    # Each delivery's key makes a second run of one announcement a no-op.
    await outbox.put_all(entries)
