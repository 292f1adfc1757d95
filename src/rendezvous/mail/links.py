"""The secrets mails carry: verification links, one-click links and reply addresses.

Each is stored only as its SHA-256 (mail.tables.MailLink says how each is made)."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Any

from rendezvous.accounts.server_key import ServerKey
from rendezvous.core.tokens import hash_secret
from rendezvous.mail import queries
from rendezvous.settings import get_settings

VERIFY_FOR = timedelta(days=7)
MAX_SECRET = 100  # longer, or not ASCII: no secret of ours, refused without a look-up
REPLY_PREFIX = "rsvp-"  # no "+": some mail services strip what follows one


async def find(secret: str) -> dict[str, Any] | None:
    """The link a secret from a mail names (id, user, event, action, email, expires_at)."""
    if not secret.isascii() or len(secret) > MAX_SECRET:
        return None
    return await queries.link_by_hash(hash_secret(secret))


def scope(user_id: int, event_id: int, action: str) -> str:
    return f"{user_id}:{event_id}:{action}"


def action_url(secret: str) -> str:
    return f"{get_settings().public_url}/a/{secret}"


def verification_url(secret: str) -> str:
    return f"{get_settings().public_url}/email/verify/{secret}"


def reply_address(secret: str) -> str:
    return f"{REPLY_PREFIX}{secret}@{get_settings().mail_domain}"


def new_verification_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()


class LinkMaker:
    """The links a batch of mails needs: those kept already (their nonces read before),
    and new ones, written later with the mails (`new_rows`) in one transaction."""

    def __init__(self, key: ServerKey, kept: dict[str, str], now: datetime) -> None:
        self._key = key
        self._nonces = dict(kept)
        self._now = now
        self.new_rows: list[dict[str, Any]] = []

    async def secret(self, user_id: int, event_id: int, action: str) -> str:
        """The secret that does `action` for this member and event."""
        where = scope(user_id, event_id, action)
        nonce = self._nonces.get(where)
        if nonce is None:
            nonce = self._nonces[where] = secrets.token_urlsafe(24)
            secret = await self._derive(nonce)
            self.new_rows.append(
                {
                    "user": user_id,
                    "event": event_id,
                    "action": action,
                    "scope": where,
                    "nonce": nonce,
                    "secret_hash": hash_secret(secret),
                    "created_at": self._now,
                }
            )
            return secret
        return await self._derive(nonce)

    async def _derive(self, nonce: str) -> str:
        return await self._key.derive_lowercase(f"mail-link:{nonce}")

    async def store(self) -> bool:
        """Write the new links (in the running transaction); False when a concurrent mail
        kept another nonce for one of them first, so that what was rendered is void."""
        await queries.insert_links(self.new_rows)
        kept = await queries.nonces([row["scope"] for row in self.new_rows])
        return all(kept.get(row["scope"]) == row["nonce"] for row in self.new_rows)
