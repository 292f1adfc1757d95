"""The webhooks slice's SQL: destinations. (Their deliveries are outbox items, read
through outbox.queries by topic.)"""

from __future__ import annotations

from typing import Any

from rendezvous.webhooks.tables import Webhook

_SHOWN = (Webhook.id, Webhook.kind, Webhook.url, Webhook.events, Webhook.active, Webhook.created_at)


async def insert(values: dict[str, Any]) -> dict[str, Any]:
    rows = await Webhook.insert(Webhook(**values)).returning(*_SHOWN)
    return rows[0]


async def count_of_group(group_id: int) -> int:
    return await Webhook.count().where(Webhook.group == group_id)


async def of_group(group_id: int) -> list[dict[str, Any]]:
    return await Webhook.select(*_SHOWN).where(Webhook.group == group_id).order_by(Webhook.id)


async def ids_of_group(group_id: int) -> list[int]:
    rows = await Webhook.select(Webhook.id).where(Webhook.group == group_id)
    return [row["id"] for row in rows]


async def exists(group_id: int, webhook_id: int) -> bool:
    return await Webhook.exists().where((Webhook.id == webhook_id) & (Webhook.group == group_id))


async def delete(group_id: int, webhook_id: int) -> bool:
    rows = (
        await Webhook.delete()
        .where((Webhook.id == webhook_id) & (Webhook.group == group_id))
        .returning(Webhook.id)
    )
    return bool(rows)


async def any_listening(group_id: int, event_type: str) -> bool:
    return bool(await listening(group_id, event_type))


async def listening(group_id: int, event_type: str) -> list[dict[str, Any]]:
    """The group's active destinations that want this event type."""
    rows = await Webhook.select(Webhook.id, Webhook.events).where(
        (Webhook.group == group_id) & (Webhook.active == True)  # noqa: E712 (SQL, not Python)
    )
    return [row for row in rows if event_type in row["events"].split()]


async def destination(webhook_id: int) -> dict[str, Any] | None:
    """What sending needs: kind, URL, sealed secret, Telegram chat, whether active, and
    its group."""
    return (
        await Webhook.select(
            Webhook.id,
            Webhook.group,
            Webhook.kind,
            Webhook.url,
            Webhook.sealed,
            Webhook.telegram_chat_id,
            Webhook.active,
        )
        .where(Webhook.id == webhook_id)
        .first()
    )


async def deactivate(webhook_id: int) -> None:
    await Webhook.update({Webhook.active: False}).where(Webhook.id == webhook_id)
