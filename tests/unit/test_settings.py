import re
from pathlib import Path

import pytest

from rendezvous.settings import (
    ConfigurationError,
    MailUrl,
    load_settings,
    parse_database_url,
    parse_mail_url,
)


def test_sqlite_urls_follow_sqlalchemys_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = parse_database_url("sqlite:///data/app.sqlite")
    assert relative.is_sqlite and relative.sqlite_path == tmp_path / "data" / "app.sqlite"
    absolute = parse_database_url("sqlite:////var/lib/app.sqlite")
    assert absolute.sqlite_path == Path("/var/lib/app.sqlite")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@db:5432/app",
        "postgres://u@localhost/app",
        "postgresql://u@/app?host=/run/postgresql",
    ],
)
def test_postgres_urls(url: str) -> None:
    config = parse_database_url(url)
    assert config.engine == "postgres" and not config.is_sqlite and config.url == url


@pytest.mark.parametrize(
    "url",
    [
        "",
        "sqlite://",
        "sqlite:///",
        "sqlite://x.sqlite",
        "mysql://u@h/db",
        "postgresql:///db",
        "nonsense",
    ],
)
def test_bad_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="RENDEZVOUS_DATABASE_URL"):
        parse_database_url(url)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "RENDEZVOUS_DATABASE_URL",
        "RENDEZVOUS_PUBLIC_URL",
        "RENDEZVOUS_DB_POOL_SIZE",
        "RENDEZVOUS_LOG_LEVEL",
        "RENDEZVOUS_GEOCODER",
        "RENDEZVOUS_NOMINATIM_URL",
        "RENDEZVOUS_SECRET_KEY",
        "RENDEZVOUS_REDIS_URL",
        "RENDEZVOUS_RATE_LIMIT_WRITES",
        "RENDEZVOUS_RATE_LIMIT_GEOCODING",
        "RENDEZVOUS_MAIL_URL",
        "RENDEZVOUS_MAIL_FROM",
        "RENDEZVOUS_REMINDER_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database.sqlite_path == tmp_path / "rendezvous.sqlite"
    assert settings.public_url == "http://localhost:8000"
    assert settings.db_pool_size == 10
    assert settings.log_level == "info"
    assert settings.geocoder == "offline"
    assert settings.nominatim_url == "https://nominatim.openstreetmap.org"
    assert settings.secret_key is None
    assert (settings.rate_limit_writes, settings.rate_limit_geocoding) == (120, 30)
    assert settings.redis_url is None
    assert settings.mail == MailUrl("file", directory=tmp_path / "rendezvous-mail")
    assert settings.mail_from == "Rendezvous <rendezvous@localhost>"
    assert settings.mail_domain == "localhost"
    assert settings.reminder_hours == 24


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RENDEZVOUS_PUBLIC_URL", "localhost:8000"),
        ("RENDEZVOUS_DB_POOL_SIZE", "0"),
        ("RENDEZVOUS_DB_POOL_SIZE", "many"),
        ("RENDEZVOUS_SQLITE_BUSY_TIMEOUT_MS", "5"),
        ("RENDEZVOUS_LOG_LEVEL", "loud"),
        ("RENDEZVOUS_GEOCODER", "google"),
        ("RENDEZVOUS_NOMINATIM_URL", "127.0.0.1:8088"),
        ("RENDEZVOUS_NOMINATIM_URL", "http://127.0.0.1:8088/?q=x"),
        ("RENDEZVOUS_SECRET_KEY", "too short to sign anything"),
        ("RENDEZVOUS_REDIS_URL", "127.0.0.1:6379"),
        ("RENDEZVOUS_REDIS_URL", "http://127.0.0.1:6379"),
        ("RENDEZVOUS_RATE_LIMIT_WRITES", "-1"),
        ("RENDEZVOUS_RATE_LIMIT_GEOCODING", "lots"),
        ("RENDEZVOUS_MAIL_URL", "mail.example.org:25"),
        ("RENDEZVOUS_MAIL_URL", "http://mail.example.org"),
        ("RENDEZVOUS_MAIL_URL", "smtp://:25"),
        ("RENDEZVOUS_MAIL_URL", "smtp://mail.example.org:port"),
        ("RENDEZVOUS_MAIL_URL", "file://"),
        ("RENDEZVOUS_MAIL_FROM", "Rendezvous"),
        ("RENDEZVOUS_MAIL_FROM", "Rendezvous <@example.org>"),
        ("RENDEZVOUS_REMINDER_HOURS", "-1"),
    ],
)
def test_bad_values_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=name):
        load_settings()


def test_public_url_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_PUBLIC_URL", "https://meet.example.org/")
    assert load_settings().public_url == "https://meet.example.org"


def test_nominatim_is_chosen_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_GEOCODER", " Nominatim ")
    monkeypatch.setenv("RENDEZVOUS_NOMINATIM_URL", "http://127.0.0.1:8088/")
    settings = load_settings()
    assert settings.geocoder == "nominatim"
    assert settings.nominatim_url == "http://127.0.0.1:8088"


def test_a_long_enough_secret_key_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", " " + "k" * 32 + " ")
    assert load_settings().secret_key == "k" * 32
    monkeypatch.setenv("RENDEZVOUS_SECRET_KEY", "")  # as docker-compose passes it when unset
    assert load_settings().secret_key is None


def test_rate_limits_and_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_RATE_LIMIT_WRITES", "0")
    monkeypatch.setenv("RENDEZVOUS_RATE_LIMIT_GEOCODING", "7")
    monkeypatch.setenv("RENDEZVOUS_REDIS_URL", "redis://cache:6379/2")
    settings = load_settings()
    assert (settings.rate_limit_writes, settings.rate_limit_geocoding) == (0, 7)
    assert settings.redis_url == "redis://cache:6379/2"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", MailUrl("smtp", "mail.example.org", 25)),
        ("smtp+starttls://mail.example.org", MailUrl("smtp+starttls", "mail.example.org", 587)),
        ("smtps://mail.example.org", MailUrl("smtps", "mail.example.org", 465)),
        (
            "smtp+starttls://me%40example.org:p%3Ass@mail.example.org:2587",
            MailUrl("smtp+starttls", "mail.example.org", 2587, "me@example.org", "p:ss"),
        ),
        ("file:///var/mail/rdv", MailUrl("file", directory=Path("/var/mail/rdv"))),
    ],
)
def test_mail_urls(url: str, expected: MailUrl) -> None:
    assert parse_mail_url(url) == expected


def test_a_relative_mail_folder_is_resolved_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse_mail_url("file://out/mail").directory == tmp_path / "out" / "mail"


def test_the_mail_domain_comes_from_the_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_MAIL_FROM", "Meet <Invites@Meet.Example.org>")
    assert load_settings().mail_domain == "meet.example.org"


def test_every_variable_is_documented_and_in_the_compose_file() -> None:
    """The README's table, .env.example and docker-compose.yml name every variable the
    service reads (the README is code)."""
    root = Path(__file__).parents[2]
    source = (root / "src/rendezvous/settings.py").read_text()
    names = set(re.findall(r"RENDEZVOUS_[A-Z_]+", source))
    assert "RENDEZVOUS_MAIL_URL" in names
    readme = (root / "README.md").read_text()
    example = (root / ".env.example").read_text()
    compose = (root / "docker-compose.yml").read_text()
    for name in names:
        assert f"| `{name}`" in readme, name
        assert f"# {name}=" in example, name
    service_level = {"RENDEZVOUS_DB_POOL_SIZE", "RENDEZVOUS_SQLITE_BUSY_TIMEOUT_MS"}
    service_level |= {"RENDEZVOUS_LOG_LEVEL", "RENDEZVOUS_NOMINATIM_URL"}
    for name in names - service_level:
        assert name in compose, name
