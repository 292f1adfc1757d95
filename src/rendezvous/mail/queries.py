"""The mail slice's SQL: the secrets its mails carry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rendezvous.mail.tables import MailLink


async def nonces(scopes: Sequence[str]) -> dict[str, str]:
    """The nonce kept for each of these scopes that has one."""
    if not scopes:
        return {}
    rows = await MailLink.select(MailLink.scope, MailLink.nonce).where(
        MailLink.scope.is_in(list(scopes))
    )
    return {row["scope"]: row["nonce"] for row in rows}


async def insert_links(rows: Sequence[dict[str, Any]]) -> None:
    """Keep these links; one whose scope is taken already (by a concurrent mail) is
    not written, and the caller compares nonces afterwards."""
    if not rows:
        return
    await MailLink.insert(*(MailLink(**row) for row in rows)).on_conflict(
        target=MailLink.scope, action="DO NOTHING"
    )


async def insert_verification(
    user_id: int, email: str, secret_hash: str, expires_at: datetime, now: datetime
) -> None:
    await MailLink.insert(
        MailLink(
            user=user_id,
            action="verify",
            secret_hash=secret_hash,
            email=email,
            expires_at=expires_at,
            created_at=now,
        )
    )


async def link_by_hash(secret_hash: str) -> dict[str, Any] | None:
    return await (
        MailLink.select(
            MailLink.id,
            MailLink.user,
            MailLink.event,
            MailLink.action,
            MailLink.email,
            MailLink.expires_at,
        )
        .where(MailLink.secret_hash == secret_hash)
        .first()
    )


async def delete_link(link_id: int) -> None:
    await MailLink.delete().where(MailLink.id == link_id)


async def prune_verifications(user_id: int, now: datetime) -> None:
    """A user's expired verification links go when a new one is made."""
    await MailLink.delete().where(
        (MailLink.user == user_id) & (MailLink.action == "verify") & (MailLink.expires_at < now)
    )
