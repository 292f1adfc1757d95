"""Secrets stored only as SHA-256 hashes (API tokens, invite codes, feed secrets)."""

import base64
import hashlib
import hmac
import secrets

# 32 random bytes = 256 bits, well above the 128 bits a guesser would need to beat.
_TOKEN_BYTES = 32


def new_secret(prefix: str) -> str:
    """A fresh URL-safe secret; the prefix makes leaked tokens recognisable."""
    return f"{prefix}_{secrets.token_urlsafe(_TOKEN_BYTES)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def derive_secret(key: bytes, message: str, prefix: str) -> str:
    """A secret that can be made again from `key` and `message` instead of being stored:
    HMAC-SHA256, URL-safe, 256 bits."""
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return f"{prefix}_{base64.urlsafe_b64encode(digest).rstrip(b'=').decode('ascii')}"


def derive_lowercase_secret(key: bytes, message: str, length: int = 32) -> str:
    """As derive_secret, but lowercase letters and digits only (base32, `length` * 5
    bits): for secrets in e-mail addresses, whose case a mail system may change."""
    digest = hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:length]
