"""What account changes tell the rest of the house, as outbox items (mail subscribes)."""

from __future__ import annotations

from rendezvous.outbox import services as outbox

EMAIL_SET = "account.email_set"


async def email_set(user_id: int, email: str) -> None:
    """An address was given (at sign-up, by PATCH /me, or asked again for a fresh
    verification link): it is to be verified before anything else is sent to it."""
    await outbox.put(EMAIL_SET, {"user_id": user_id, "email": email})
