"""The installation's key, from which other slices derive their secrets (calendar-feed
addresses; later, webhook secrets at rest) without depending on each other."""

from __future__ import annotations

import secrets

from rendezvous.accounts import queries
from rendezvous.core.db.transactions import transactional
from rendezvous.core.tokens import derive_lowercase_secret, derive_secret

_KEPT_KEY_NAME = "feed-signing-key"  # the name it was first kept under


class ServerKey:
    """RENDEZVOUS_SECRET_KEY, or else a random key made once and kept in the database
    (read on first use)."""

    def __init__(self, configured_key: str | None) -> None:
        self._key = configured_key.encode("utf-8") if configured_key else None

    async def _bytes(self) -> bytes:
        if self._key is None:
            self._key = (await _kept_key()).encode("utf-8")
        return self._key

    async def derive(self, message: str, prefix: str) -> str:
        """HMAC-SHA256 of `message` under the key: a secret made again on demand rather
        than stored. `message` starts with its purpose ("feed:..."), so that no two uses
        can make the same secret."""
        return derive_secret(await self._bytes(), message, prefix)

    async def derive_lowercase(self, message: str) -> str:
        """As `derive`, in lowercase letters and digits (160 bits), with no prefix."""
        return derive_lowercase_secret(await self._bytes(), message)


@transactional
async def _kept_key() -> str:
    return await queries.server_secret(_KEPT_KEY_NAME, secrets.token_urlsafe(32))
