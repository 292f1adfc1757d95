"""Configuration read once from the RENDEZVOUS_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from email.utils import parseaddr
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///rendezvous.sqlite"
DEFAULT_NOMINATIM_URL = "https://nominatim.openstreetmap.org"
DEFAULT_MAIL_URL = "file://rendezvous-mail"
DEFAULT_MAIL_FROM = "Rendezvous <rendezvous@localhost>"
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


@dataclass(frozen=True, slots=True)
class MailUrl:
    """Where outgoing mail goes: an SMTP server (plain, STARTTLS or implicit TLS, with
    optional login) or a folder of .eml files."""

    scheme: str  # "smtp", "smtp+starttls", "smtps" or "file"
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = None
    directory: Path | None = None  # file:// only


_MAIL_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


def parse_mail_url(url: str) -> MailUrl:
    """Read RENDEZVOUS_MAIL_URL: smtp://[user:password@]host:port, smtp+starttls://...,
    smtps://..., file:///absolute/dir or file://relative/dir."""
    scheme, _, rest = url.partition("://")
    if scheme == "file":
        if not rest:
            raise ConfigurationError(f"RENDEZVOUS_MAIL_URL {url!r} names no folder")
        # Like the database's file, resolved now so that it does not move with the process.
        return MailUrl("file", directory=Path(unquote(rest)).resolve())
    if scheme not in _MAIL_PORTS:
        raise ConfigurationError(
            f"RENDEZVOUS_MAIL_URL {url!r}: the scheme must be smtp://, smtp+starttls://, "
            "smtps:// or file://"
        )
    parts = urlsplit(url)
    try:
        port = parts.port or _MAIL_PORTS[scheme]
    except ValueError:
        raise ConfigurationError(f"RENDEZVOUS_MAIL_URL {url!r} has a bad port") from None
    if not parts.hostname:
        raise ConfigurationError(f"RENDEZVOUS_MAIL_URL {url!r} names no host")
    return MailUrl(
        scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def parse_mail_from(text: str) -> tuple[str, str]:
    """RENDEZVOUS_MAIL_FROM as (display name, address); the address's domain is the mail
    domain, on which reply addresses are made."""
    name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    if not local or not domain or any(c.isspace() for c in address):
        raise ConfigurationError(
            f"RENDEZVOUS_MAIL_FROM must be an address such as "
            f"'Rendezvous <invites@meet.example.org>', not {text!r}"
        )
    return name, address


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


def _bool(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower() or "false"
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise ConfigurationError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


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
    mail: MailUrl = MailUrl("file", directory=Path(DEFAULT_MAIL_URL[7:]).resolve())
    mail_from: str = DEFAULT_MAIL_FROM
    # How long before a confirmed meetup's start its reminder goes out; 0: none.
    reminder_hours: int = 24
    # Lets webhooks reach private, loopback and link-local addresses, and plain http
    # (self-hosted chat on a LAN; tests).
    webhook_allow_private: bool = False

    @property
    def mail_from_address(self) -> str:
        return parse_mail_from(self.mail_from)[1]

    @property
    def mail_domain(self) -> str:
        return self.mail_from_address.rpartition("@")[2].lower()


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
    mail_from = os.environ.get("RENDEZVOUS_MAIL_FROM", "").strip() or DEFAULT_MAIL_FROM
    parse_mail_from(mail_from)
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
        mail=parse_mail_url(os.environ.get("RENDEZVOUS_MAIL_URL", "").strip() or DEFAULT_MAIL_URL),
        mail_from=mail_from,
        reminder_hours=_int("RENDEZVOUS_REMINDER_HOURS", 24, 0, 24 * 365),
        webhook_allow_private=_bool("RENDEZVOUS_WEBHOOK_ALLOW_PRIVATE"),
    )


@cache
def get_settings() -> Settings:
    return load_settings()
