"""Adding, listing and deleting a group's chat webhooks, and listing their deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from rendezvous.core.db.transactions import transactional
from rendezvous.core.errors import Conflict, Invalid, NotFound, Unprocessable
from rendezvous.core.schemas import Page
from rendezvous.events.announce import RSVP_CHANGED
from rendezvous.groups import queries as groups
from rendezvous.outbox import services as outbox
from rendezvous.settings import get_settings
from rendezvous.webhooks import formats, guard, queries
from rendezvous.webhooks.schemas import Delivery, NewWebhook, Webhook, WebhookCreate
from rendezvous.webhooks.sealing import Sealer

MAX_PER_GROUP = 10
# A delivery's state in the outbox, as the API says it.
_STATUS = {"pending": "pending", "done": "delivered", "failed": "failed"}


def topic(webhook_id: int) -> str:
    """The outbox topic of a webhook's deliveries."""
    return f"webhook:{webhook_id}"


def _shown(row: dict[str, Any]) -> Webhook:
    return msgspec.convert(
        {
            **row,
            "url": formats.mask(str(row["kind"]), str(row["url"])),
            "events": str(row["events"]).split(),
        },
        Webhook,
    )


async def add_webhook(
    group_id: int, user_id: int, data: WebhookCreate, sealer: Sealer
) -> NewWebhook:
    try:
        if get_settings().webhook_allow_private:
            guard.parse(data.url, allow_private=True)  # nothing to refuse but its form
        else:
            # A DNS lookup: before the write transaction.
            await guard.check(data.url, allow_private=False)
    except guard.NotAUrl as exc:
        raise Invalid(f"url: {exc}") from None
    except guard.Refused as exc:
        raise Unprocessable(f"url: {exc}") from None
    secret = formats.new_secret() if data.kind == "generic" else None
    kept = secret or data.matrix_access_token
    values: dict[str, Any] = {
        "group": group_id,
        "kind": data.kind,
        "url": data.url,
        "events": " ".join(data.events),
        "sealed": await sealer.seal(kept) if kept else None,
        "telegram_chat_id": data.telegram_chat_id,
        "created_by": user_id,
        "created_at": datetime.now(UTC),
    }
    shown = _shown(await _insert(group_id, values))
    return NewWebhook(**msgspec.structs.asdict(shown), secret=secret)


@transactional
async def _insert(group_id: int, values: dict[str, Any]) -> dict[str, Any]:
    if not await groups.lock_group(group_id):  # one change to its webhooks at a time
        raise NotFound("Group not found")
    if await queries.count_of_group(group_id) >= MAX_PER_GROUP:
        raise Conflict(f"A group has at most {MAX_PER_GROUP} webhooks; delete one first")
    row = await queries.insert(values)
    await hear_answers(group_id)
    return row


async def list_webhooks(group_id: int) -> Page[Webhook]:
    items = [_shown(row) for row in await queries.of_group(group_id)]
    return Page(items=items, limit=MAX_PER_GROUP, offset=0, total=len(items))


@transactional
async def delete_webhook(group_id: int, webhook_id: int) -> None:
    """The destination and its deliveries still waiting to be sent."""
    await groups.lock_group(group_id)
    if not await queries.delete(group_id, webhook_id):
        raise NotFound("No such webhook in this group")
    await outbox.withdraw_topics([topic(webhook_id)])
    await hear_answers(group_id)


@transactional
async def deactivate(group_id: int, webhook_id: int) -> None:
    """The destination is gone for good (410): it hears nothing more."""
    await groups.lock_group(group_id)
    await queries.deactivate(webhook_id)
    await hear_answers(group_id)


async def hear_answers(group_id: int) -> None:
    """Answers to the group's events are announced while a webhook listens for them:
    decided after every change to the group's webhooks, with the group locked."""
    await groups.announce_answers(group_id, await queries.any_listening(group_id, RSVP_CHANGED))


async def forget_group(group_id: int) -> None:
    """A group is being deleted (in the running transaction): its destinations go with
    it (the foreign key), and here their deliveries still waiting."""
    await outbox.withdraw_topics([topic(i) for i in await queries.ids_of_group(group_id)])


async def list_deliveries(
    group_id: int, webhook_id: int, limit: int, offset: int
) -> Page[Delivery]:
    """Newest first."""
    if not await queries.exists(group_id, webhook_id):
        raise NotFound("No such webhook in this group")
    rows, total = await outbox.page_of(topic(webhook_id), limit, offset)
    items = [
        Delivery(
            id=row["id"],
            event_type=row["label"],
            status=_STATUS[row["state"]],  # type: ignore[arg-type]
            attempts=row["attempts"],
            last_status_code=row["last_code"],
            created_at=row["created_at"],
            delivered_at=row["finished_at"] if row["state"] == "done" else None,
        )
        for row in rows
    ]
    return Page(items=items, limit=limit, offset=offset, total=total)
