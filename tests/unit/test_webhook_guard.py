"""The SSRF guard for chat webhooks: which URLs pass, which are refused and why, and that its
messages never repeat a URL's path or query (chat webhook tokens live there)."""

from __future__ import annotations

import ipaddress
import re

import pytest

from rendezvous.webhooks import guard

SECRET_PATH = "/api/webhooks/123/S3CR3T"
SECRET_QUERY = "token=T0K3N"


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Makes guard.resolve answer from `answers` (IP literals as themselves); returns the
    list of names looked up."""
    asked: list[str] = []

    async def resolve(host: str, port: int) -> list[guard.Address]:
        asked.append(host)
        if host in answers:
            return [ipaddress.ip_address(a) for a in answers[host]]
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            raise guard.Unresolvable(f"{host} cannot be resolved") from None

    monkeypatch.setattr(guard, "resolve", resolve)
    return asked


def _assert_no_secrets(message: str) -> None:
    assert "S3CR3T" not in message
    assert "T0K3N" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://127.0.0.1/", "loopback"),
        ("https://10.0.0.1/", "private"),
        ("https://localhost/", "loopback"),  # the real resolver: /etc/hosts
        ("https://[::1]/", "loopback"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::ffff:10.0.0.1]/", "private"),
        ("https://[64:ff9b::a00:1]/", "private"),  # NAT64 to 10.0.0.1
        ("https://100.64.0.1/", "shared"),
        ("https://0.0.0.0/", "unspecified"),
        ("https://224.0.0.1/", "multicast"),
        (f"https://192.168.1.1:8443{SECRET_PATH}?{SECRET_QUERY}", "private"),
    ],
)
async def test_non_public_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(guard.Refused, match=reason) as caught:
        await guard.check(url, allow_private=False)
    _assert_no_secrets(str(caught.value))
    assert "meta-data" not in str(caught.value)


async def test_the_message_names_scheme_host_and_address() -> None:
    with pytest.raises(guard.Refused) as caught:
        await guard.check(f"https://10.0.0.1{SECRET_PATH}", allow_private=False)
    assert str(caught.value) == "https://10.0.0.1 resolves to 10.0.0.1, a private address"


@pytest.mark.parametrize("url", ["http://example.com/", "ftp://example.com/", "ws://example.com/"])
async def test_only_https_is_accepted_and_without_a_lookup(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    asked = _fake_dns(monkeypatch, {"example.com": ["93.184.215.14"]})
    with pytest.raises(guard.Refused, match="only https"):
        await guard.check(url, allow_private=False)
    assert asked == []


async def test_a_public_name_with_a_private_answer_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fake_dns(monkeypatch, {"chat.example.test": ["10.1.2.3"]})
    with pytest.raises(guard.Refused) as caught:
        await guard.check(
            f"https://chat.example.test{SECRET_PATH}?{SECRET_QUERY}", allow_private=False
        )
    assert str(caught.value) == (
        "https://chat.example.test resolves to 10.1.2.3, a private address"
    )


async def test_every_answer_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"chat.example.test": ["93.184.215.14", "192.168.1.5"]})
    with pytest.raises(guard.Refused, match=r"192\.168\.1\.5, a private address"):
        await guard.check("https://chat.example.test/hook", allow_private=False)


async def test_a_public_answer_is_accepted_and_returned(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {"chat.example.test": ["93.184.215.14", "2606:2800:21f:cb07::1"]})
    parts, addresses = await guard.check(
        f"https://Chat.Example.TEST{SECRET_PATH}?{SECRET_QUERY}", allow_private=False
    )
    assert (parts.scheme, parts.hostname, parts.port) == ("https", "chat.example.test", None)
    assert (parts.path, parts.query) == (SECRET_PATH, SECRET_QUERY)
    assert addresses == [
        ipaddress.ip_address("93.184.215.14"),
        ipaddress.ip_address("2606:2800:21f:cb07::1"),
    ]


async def test_allow_private_accepts_loopback_over_http() -> None:
    parts, addresses = await guard.check("http://127.0.0.1:8080/hook", allow_private=True)
    assert (parts.scheme, parts.hostname, parts.port) == ("http", "127.0.0.1", 8080)
    assert addresses == [ipaddress.ip_address("127.0.0.1")]


async def test_an_unresolvable_name_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_dns(monkeypatch, {})
    with pytest.raises(guard.Unresolvable, match=re.escape("chat.example.test")):
        await guard.check("https://chat.example.test/", allow_private=False)
    assert issubclass(guard.Unresolvable, guard.Refused)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "https://",
        "ftp:/x",
        "https:example.com",
        "//example.com/x",
        "example.com/x",
        "https://example.com/" + "a" * (guard.MAX_URL_LENGTH - len("https://example.com/") + 1),
        "https://example.com/a b",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "https://example.com/a\tb",
        "https://example.com/\u200b",
        "https://example.com\\@evil.test/",
        "https://[::1/",
        "https://example.com:99999/",
        "https://example.com:0/",
        "https://exa%6dple.com/",
        "https://a..b/",
    ],
)
def test_not_a_url(url: str) -> None:
    with pytest.raises(guard.NotAUrl):
        guard.parse(url, allow_private=False)


def test_not_a_url_messages_do_not_repeat_the_path() -> None:
    with pytest.raises(guard.NotAUrl) as caught:
        guard.parse(f"https://example.com{SECRET_PATH} ?{SECRET_QUERY}", allow_private=False)
    _assert_no_secrets(str(caught.value))


def test_a_url_of_the_maximum_length_is_fine() -> None:
    url = "https://example.com/" + "a" * (guard.MAX_URL_LENGTH - len("https://example.com/"))
    assert len(url) == guard.MAX_URL_LENGTH
    assert guard.parse(url, allow_private=False).hostname == "example.com"


def test_credentials_in_the_url_are_refused_without_repeating_them() -> None:
    with pytest.raises(guard.Refused) as caught:
        guard.parse("https://ada:S3CR3T@example.com/", allow_private=False)
    _assert_no_secrets(str(caught.value))


def test_international_names_become_ascii() -> None:
    parts = guard.parse("https://BÜCHER.example:8443/x", allow_private=False)
    assert (parts.hostname, parts.netloc) == ("xn--bcher-kva.example", "xn--bcher-kva.example:8443")


async def test_resolve_returns_literals_as_they_are_and_asks_the_resolver_otherwise() -> None:
    assert await guard.resolve("::1", 443) == [ipaddress.ip_address("::1")]
    assert ipaddress.ip_address("127.0.0.1") in await guard.resolve("localhost", 443)
    with pytest.raises(guard.Unresolvable):
        await guard.resolve("a" * 64 + ".test", 443)  # a label too long: fails offline


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("8.8.8.8", True),
        ("2606:4700::1", True),
        ("::ffff:8.8.8.8", True),
        ("64:ff9b::808:808", True),  # NAT64 to 8.8.8.8
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("100.100.100.200", False),  # a cloud metadata service in the shared range
        ("0.0.0.0", False),
        ("0.1.2.3", False),
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("192.0.2.1", False),
        ("198.18.0.1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd00:ec2::254", False),  # the AWS metadata service over IPv6
        ("fec0::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:169.254.169.254", False),
        ("::10.0.0.1", False),  # IPv4-compatible (deprecated)
        ("64:ff9b::7f00:1", False),  # NAT64 to 127.0.0.1
        ("64:ff9b:1::a00:1", False),  # local-use NAT64
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2001::1", False),  # Teredo
        ("2001:db8::1", False),  # documentation
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert guard.is_public(ipaddress.ip_address(address)) is public
