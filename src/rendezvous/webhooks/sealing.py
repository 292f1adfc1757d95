"""Secrets kept so that they can be used (a webhook's signing secret, a Matrix access
token), encrypted at rest with Fernet under a key derived from the server key: a copy
of the database alone does not give them away."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from rendezvous.accounts.server_key import ServerKey

_PURPOSE = "webhook-secrets:v1"


class Unreadable(Exception):
    """Sealed under another key (RENDEZVOUS_SECRET_KEY changed) or damaged."""


class Sealer:
    def __init__(self, key: ServerKey) -> None:
        self._key = key
        self._fernet: Fernet | None = None

    async def _cipher(self) -> Fernet:
        if self._fernet is None:
            derived = await self._key.derive(_PURPOSE, "seal")
            self._fernet = Fernet(
                base64.urlsafe_b64encode(hashlib.sha256(derived.encode()).digest())
            )
        return self._fernet

    async def seal(self, secret: str) -> str:
        return (await self._cipher()).encrypt(secret.encode("utf-8")).decode("ascii")

    async def open(self, sealed: str) -> str:
        try:
            return (await self._cipher()).decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise Unreadable("a sealed webhook secret cannot be read with this key") from None
