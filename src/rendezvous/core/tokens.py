"""Secrets handed out once and stored only as SHA-256 hashes (API tokens, invite codes)."""

import hashlib
import secrets

# 32 random bytes = 256 bits, well above the 128 bits a guesser would need to beat.
_TOKEN_BYTES = 32


def new_secret(prefix: str) -> str:
    """A fresh URL-safe secret; the prefix makes leaked tokens recognisable."""
    return f"{prefix}_{secrets.token_urlsafe(_TOKEN_BYTES)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
