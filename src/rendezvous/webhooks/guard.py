"""The SSRF guard for chat webhooks: which URLs a destination may have, and whether every
address their host resolves to is public. Checked when a destination is added and before
every send, since DNS answers change."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2000
DEFAULT_PORTS = {"https": 443, "http": 80}

_HOST_NAME = re.compile(r"[a-z0-9_.-]+")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix (RFC 6052)
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated; would reach an embedded v4


class NotAUrl(ValueError):
    """Not a URL at all (no scheme or host, spaces, too long...)."""


class Refused(ValueError):
    """A URL the guard will not send to. The message names the host only: paths and queries
    of chat webhook URLs hold tokens."""


class Unresolvable(Refused):
    """The host does not resolve (now). Refused when a destination is added; a sender may
    treat it as temporary, since DNS can recover."""


def parse(url: str, *, allow_private: bool) -> SplitResult:
    """The URL split, its host lower-cased and IDNA-encoded; NotAUrl or Refused otherwise."""
    if not isinstance(url, str) or not url:
        raise NotAUrl("not a URL")
    if len(url) > MAX_URL_LENGTH:
        raise NotAUrl(f"not a URL: longer than {MAX_URL_LENGTH} characters")
    # Raw spaces, control characters and backslashes are invalid in a URL, and parsers
    # disagree about them (a classic way to make a checked host differ from the used one).
    if any(c == "\\" or c.isspace() or not c.isprintable() for c in url):
        raise NotAUrl("not a URL: it contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise NotAUrl("not a URL") from None
    host = parts.hostname
    if not parts.scheme or not host or port == 0:
        raise NotAUrl("not a URL: it needs a scheme and a host")
    host = _ascii_host(host)
    authority = f"[{host}]" if ":" in host else host
    if port is not None:
        authority += f":{port}"
    origin = f"{parts.scheme}://{authority}"
    if "@" in parts.netloc:
        raise Refused(f"{origin}: credentials in the URL are not accepted")
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise Refused(f"{origin}: only https URLs are accepted")
    return parts._replace(netloc=authority)


def _ascii_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise NotAUrl(f"not a URL: {host!r} is not a host name") from None
    if not _HOST_NAME.fullmatch(ascii_host):
        raise NotAUrl(f"not a URL: {host!r} is not a host name")
    return ascii_host


async def resolve(host: str, port: int) -> list[Address]:
    """The addresses `host` resolves to, in the resolver's order; an IP literal as is."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        answers = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"{host} cannot be resolved ({exc})") from None
    addresses: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Unresolvable(f"{host} cannot be resolved (no addresses)")
    return addresses


def is_public(address: Address) -> bool:
    """Whether `address` is on the public internet; v4 addresses embedded in v6 ones
    (mapped, NAT64, 6to4) are judged by the v4 address they lead to."""
    embedded = _embedded_v4(address)
    if embedded is not None:
        return is_public(embedded)
    if isinstance(address, ipaddress.IPv6Address):
        if address.sixtofour is not None and not is_public(address.sixtofour):
            return False
        if address in _IPV4_COMPATIBLE or address.is_site_local:
            return False
    elif address in _SHARED:
        return False
    # is_global alone lets multicast through (and reserved v6 ranges on some Pythons).
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_v4(address: Address) -> ipaddress.IPv4Address | None:
    """The v4 address a v6 one stands for: IPv4-mapped, or NAT64 (where the gateway would
    connect to it)."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped


def describe(address: Address) -> str:
    """Why `address` is not public, for messages: "a private address"."""
    embedded = _embedded_v4(address)
    if embedded is not None:
        return describe(embedded)
    for kind, test in (
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a shared (carrier-grade NAT)", address in _SHARED),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
    ):
        if test:
            return f"{kind} address"
    return "a non-public address"


async def check(url: str, *, allow_private: bool) -> tuple[SplitResult, list[Address]]:
    """`url` parsed and its host resolved; unless `allow_private`, every address must be
    public, so that one private answer among public ones cannot be picked later."""
    parts = parse(url, allow_private=allow_private)
    assert parts.hostname is not None  # parse() guarantees a host
    addresses = await resolve(parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme])
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise Refused(
                    f"{parts.scheme}://{parts.netloc} resolves to {address}, {describe(address)}"
                )
    return parts, addresses
