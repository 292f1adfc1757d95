"""Configuration read once from the RENDEZVOUS_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite:///rendezvous.sqlite"
DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org"
MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(Exception):
    """A RENDEZVOUS_* variable holds a value the service cannot run with."""


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    engine: str  # "sqlite" or "postgres"
    url: str
    sqlite_path: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


def parse_database_url(url: str) -> DatabaseConfig:
    """Read SQLAlchemy-style URLs: sqlite:///rel.sqlite, sqlite:////abs.sqlite, postgresql://..."""
    scheme, _, rest = url.partition("://")
    if scheme == "sqlite":
        if not rest.startswith("/") or rest == "/":
            raise ConfigurationError(
                f"RENDEZVOUS_DATABASE_URL {url!r}: write sqlite:///relative.sqlite "
                "or sqlite:////absolute/path.sqlite"
            )
        # One slash ends the (empty) host; what follows is the path, absolute if it
        # starts with another slash. Relative paths are resolved now so that the
        # file does not move if the process changes directory later.
        return DatabaseConfig("sqlite", url, Path(rest[1:]).resolve())
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(url)
        if not parts.hostname and "host=" not in (parts.query or ""):
            raise ConfigurationError(f"RENDEZVOUS_DATABASE_URL {url!r} names no host")
        return DatabaseConfig("postgres", url)
    raise ConfigurationError(
        f"RENDEZVOUS_DATABASE_URL {url!r}: the scheme must be sqlite:// or postgresql://"
    )


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, not {value}")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseConfig
    public_url: str
    db_pool_size: int  # per worker; `rendezvous serve` sizes it for the workers when unset
    sqlite_busy_timeout_ms: int
    log_level: str
    geocoder: str  # "offline" or "nominatim"
    nominatim_url: str
    # Signs calendar-feed secrets; None: a key made once and kept in the database.
    secret_key: str | None = None
    # Per minute for each account (or client address when no valid token); sign-ups per
    # hour for each client address; 0 turns a limit off.
    rate_limit_writes: int = 120
    rate_limit_geocoding: int = 30
    rate_limit_signups: int = 10
    # Where rate-limit counts are shared between workers; None: in each worker's memory.
    redis_url: str | None = None


def _geocoder() -> tuple[str, str]:
    geocoder = os.environ.get("RENDEZVOUS_GEOCODER", "").strip().lower() or "offline"
    if geocoder not in ("offline", "nominatim"):
        raise ConfigurationError(
            f"RENDEZVOUS_GEOCODER must be offline or nominatim, not {geocoder!r}"
        )
    url = os.environ.get("RENDEZVOUS_NOMINATIM_URL", "").strip() or DEFAULT_NOMINATIM_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigurationError(
            f"RENDEZVOUS_NOMINATIM_URL must be an http(s) base URL, not {url!r}"
        )
    return geocoder, url.rstrip("/")


def load_settings() -> Settings:
    public_url = os.environ.get("RENDEZVOUS_PUBLIC_URL", "").strip() or "http://localhost:8000"
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"RENDEZVOUS_PUBLIC_URL must be an http(s) URL, not {public_url!r}"
        )
    log_level = os.environ.get("RENDEZVOUS_LOG_LEVEL", "info").strip().lower() or "info"
    if log_level not in ("debug", "info", "warning", "error"):
        raise ConfigurationError(
            f"RENDEZVOUS_LOG_LEVEL must be debug, info, warning or error, not {log_level!r}"
        )
    geocoder, nominatim_url = _geocoder()
    secret_key = os.environ.get("RENDEZVOUS_SECRET_KEY", "").strip() or None
    if secret_key is not None and len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"RENDEZVOUS_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long"
        )
    redis_url = os.environ.get("RENDEZVOUS_REDIS_URL", "").strip() or None
    if redis_url is not None and urlsplit(redis_url).scheme not in ("redis", "rediss", "unix"):
        raise ConfigurationError(
            f"RENDEZVOUS_REDIS_URL must be a redis://, rediss:// or unix:// URL, not {redis_url!r}"
        )
    return Settings(
        database=parse_database_url(
            os.environ.get("RENDEZVOUS_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        ),
        public_url=public_url.rstrip("/"),
        db_pool_size=_int("RENDEZVOUS_DB_POOL_SIZE", 10, 1, 200),
        sqlite_busy_timeout_ms=_int("RENDEZVOUS_SQLITE_BUSY_TIMEOUT_MS", 30_000, 100, 600_000),
        log_level=log_level,
        geocoder=geocoder,
        nominatim_url=nominatim_url,
        secret_key=secret_key,
        rate_limit_writes=_int("RENDEZVOUS_RATE_LIMIT_WRITES", 120, 0, 1_000_000),
        rate_limit_geocoding=_int("RENDEZVOUS_RATE_LIMIT_GEOCODING", 30, 0, 1_000_000),
        rate_limit_signups=_int("RENDEZVOUS_RATE_LIMIT_SIGNUPS", 10, 0, 1_000_000),
        redis_url=redis_url,
    )


@cache
def get_settings() -> Settings:
    return load_settings()
