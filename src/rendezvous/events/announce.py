"""What changes to events tell the rest of the house: one function per change, each
writing an outbox item in the change's transaction. Mail and chat webhooks
subscribe to the kinds; events knows nothing of them.

Items name the event, who caused the change, and the event's `sequence` after it, so
that a subscriber can tell an announcement that a later change has overtaken."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from rendezvous.outbox import services as outbox
from rendezvous.settings import get_settings

PROPOSED = "event.proposed"
CONFIRMED = "event.confirmed"
UPDATED = "event.updated"
CANCELLED = "event.cancelled"
PROMOTED = "waitlist.promoted"
REMINDER = "event.reminder"
RSVP_CHANGED = "rsvp.changed"


def _reminders_of(event_id: int) -> str:
    return f"reminder:{event_id}:"


async def proposed(event_id: int, actor_id: int) -> None:
    await outbox.put(PROPOSED, {"event_id": event_id, "actor_id": actor_id, "sequence": 0})


async def confirmed(event_id: int, actor_id: int, sequence: int, starts_at: datetime) -> None:
    """The invite goes out now, and the reminder is due before the start, once per start
    time (its key holds the start). A proposal has no reminder to replace; a change that
    moved the start would withdraw the old one first."""
    announcements = [
        outbox.Entry(CONFIRMED, {"event_id": event_id, "actor_id": actor_id, "sequence": sequence})
    ]
    hours = get_settings().reminder_hours
    if hours:
        announcements.append(
            outbox.Entry(
                REMINDER,
                {"event_id": event_id, "starts_at": starts_at.isoformat()},
                key=f"{_reminders_of(event_id)}{starts_at.isoformat()}",
                due_at=starts_at - timedelta(hours=hours),
            )
        )
    await outbox.put_all(announcements)


async def updated(event_id: int, actor_id: int, sequence: int) -> None:
    """A change calendars show (the event's sequence rose)."""
    await outbox.put(UPDATED, {"event_id": event_id, "actor_id": actor_id, "sequence": sequence})


async def cancelled(event_id: int, actor_id: int, sequence: int) -> None:
    await outbox.withdraw(_reminders_of(event_id))
    await outbox.put(CANCELLED, {"event_id": event_id, "actor_id": actor_id, "sequence": sequence})


async def promoted(event_id: int, user_ids: list[int]) -> None:
    """Members who waited and hold a seat now."""
    await outbox.put_all(
        [outbox.Entry(PROMOTED, {"event_id": event_id, "user_id": user_id}) for user_id in user_ids]
    )


async def rsvp_changed(event_id: int, user_id: int, answer: Mapping[str, Any] | None) -> None:
    """A member answered (`answer`: status, guests, waitlisted) or took their answer back
    (None). Only for groups whose answers are announced (groups' answers_announced)."""
    await outbox.put(RSVP_CHANGED, {"event_id": event_id, "user_id": user_id, "rsvp": answer})
