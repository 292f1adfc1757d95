"""Sends one chat webhook request over HTTP to the address the SSRF guard checked, within a
total time limit, and reports the status and any Retry-After; never follows redirects."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import cast
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx

from rendezvous.webhooks import guard

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_RETRY_AFTER_S = 6 * 3600.0
USER_AGENT = "Rendezvous-Webhooks/1"


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    retry_after: float | None  # seconds, clamped to [0, MAX_RETRY_AFTER_S]


class Unreachable(Exception):
    """No answer (connection refused or reset, DNS, TLS, timeouts): worth retrying. The
    message names the host only."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), clamped; None if
    absent or unparseable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000": UTC, as HTTP-dates always are
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class Sender:
    """One HTTP client for all webhook sends of a process."""

    def __init__(self, *, allow_private: bool, tls_context: ssl.SSLContext | None = None) -> None:
        """`tls_context` replaces the system's trust store (a private CA, or a test's)."""
        self._allow_private = allow_private
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,  # no proxies or certificates from the environment
            timeout=httpx.Timeout(TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            headers={"User-Agent": USER_AGENT},
            verify=tls_context or True,
            # Connections are pooled by IP address, so a kept one, verified for one host
            # name, could carry a request for another name at that address.
            limits=httpx.Limits(max_keepalive_connections=0),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """The answer's status; guard.Refused (final) if the guard refuses `url` now, or it is
        no URL; Unreachable (retry) if no complete answer arrives within TOTAL_TIMEOUT_S."""
        origin = _origin(url)
        try:
            # httpx's timeouts are per operation; a body dripping a byte at a time would
            # never trip them.
            async with asyncio.timeout(TOTAL_TIMEOUT_S):
                parts, addresses = await guard.check(url, allow_private=self._allow_private)
                return await self._send_to_first_reachable(method, parts, addresses, headers, body)
        except guard.Unresolvable as exc:
            raise Unreachable(str(exc)) from None
        except guard.NotAUrl as exc:
            raise guard.Refused(str(exc)) from None
        except TimeoutError:
            raise Unreachable(f"{origin}: no answer within {TOTAL_TIMEOUT_S:g} s") from None
        except httpx.TransportError as exc:
            raise Unreachable(f"{origin}: {_describe(exc, url)}") from None

    async def _send_to_first_reachable(
        self,
        method: str,
        parts: SplitResult,
        addresses: list[guard.Address],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        # Later addresses are tried only when connecting failed, so nothing was sent yet.
        for address in addresses[:-1]:
            with contextlib.suppress(httpx.ConnectError, httpx.ConnectTimeout):
                return await self._exchange(method, parts, address, headers, body)
        return await self._exchange(method, parts, addresses[-1], headers, body)

    async def _exchange(
        self,
        method: str,
        parts: SplitResult,
        address: guard.Address,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Response:
        assert parts.hostname is not None  # guard.parse() guarantees a host
        port = parts.port or guard.DEFAULT_PORTS[parts.scheme]
        # Connect to the checked address, not to whatever a second lookup would answer
        # (DNS rebinding); Host and TLS (SNI, certificate check) still use the real name.
        ip_authority = f"[{address}]:{port}" if address.version == 6 else f"{address}:{port}"
        request_url = urlunsplit((parts.scheme, ip_authority, parts.path or "/", parts.query, ""))
        request_headers = httpx.Headers(headers)
        request_headers["Host"] = _host_header(parts)
        extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
        request = self._client.build_request(
            method, request_url, headers=request_headers, content=body, extensions=extensions
        )
        response = await self._client.send(request, stream=True)
        try:
            # Read a little (a raw, undecoded body: no decompression bombs), then hang up.
            received = 0
            raw = cast(AsyncGenerator[bytes, None], response.aiter_raw())  # typed as an iterator
            async with contextlib.aclosing(raw) as chunks:
                async for chunk in chunks:
                    received += len(chunk)
                    if received >= MAX_RESPONSE_BYTES:
                        break
        finally:
            await response.aclose()
        return Response(
            response.status_code, parse_retry_after(response.headers.get("Retry-After"))
        )


def _host_header(parts: SplitResult) -> str:
    """host[:port] as the URL names it (the default port left out, as clients do)."""
    assert parts.hostname is not None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if parts.port is None or parts.port == guard.DEFAULT_PORTS[parts.scheme]:
        return host
    return f"{host}:{parts.port}"


def _origin(url: str) -> str:
    """scheme://host of `url` for messages, never its path or query (they hold tokens)."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}"
    except ValueError:
        return "the webhook URL"


def _describe(exc: Exception, url: str) -> str:
    """The error's class and text, the text dropped if it quotes the URL's path or query."""
    text = str(exc)
    parts = urlsplit(url)
    if any(secret and secret in text for secret in (parts.path.strip("/"), parts.query)):
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
