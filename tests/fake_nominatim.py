"""A small local HTTP server that answers like Nominatim's /search (no internet here)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


def place(name: str, state: str, country: str, code: str, lat: float, lon: float) -> dict[str, Any]:
    """One result as Nominatim sends it with addressdetails=1."""
    return {
        "place_id": abs(hash((name, state))) % 10**8,
        "lat": f"{lat:.7f}",
        "lon": f"{lon:.7f}",
        "display_name": f"{name}, Somewhere County, {state}, Postcode, {country}",
        "class": "place",
        "type": "city",
        "address": {
            "city": name,
            "county": "Somewhere County",
            "state": state,
            "country": country,
            "country_code": code.lower(),
        },
    }


PLACES: dict[str, list[dict[str, Any]]] = {
    "leeds": [place("Leeds", "England", "United Kingdom", "GB", 53.7974185, -1.5437941)],
    "cardiff": [place("Cardiff", "Wales", "United Kingdom", "GB", 51.4816546, -3.1791934)],
    "glasgow": [place("Glasgow", "Scotland", "United Kingdom", "GB", 55.861155, -4.2501687)],
    "springfield": [
        place("Springfield", "Illinois", "United States", "US", 39.7990175, -89.6439575),
        place("Springfield", "Massachusetts", "United States", "US", 42.1018764, -72.5886727),
    ],
}


@dataclass
class Request:
    query: str
    params: dict[str, str]
    user_agent: str
    at: float  # time.monotonic() when it arrived


@dataclass
class FakeNominatim:
    """What the server saw, and how it should answer next."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    status: int = 200  # anything else: answer with this status and an error body
    delay: float = 0.0  # seconds to wait before answering

    def queries(self) -> list[str]:
        return [request.query for request in self.requests]


@contextmanager
def fake_nominatim() -> Iterator[FakeNominatim]:
    state = FakeNominatim()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {key: values[0] for key, values in parse_qs(parts.query).items()}
            state.requests.append(
                Request(
                    params.get("q", ""),
                    params,
                    self.headers.get("User-Agent", ""),
                    time.monotonic(),
                )
            )
            if state.delay:
                time.sleep(state.delay)
            if parts.path != "/search":
                self._send(404, {"error": "not found"})
            elif state.status != 200:
                self._send(state.status, {"error": {"code": state.status, "message": "broken"}})
            else:
                found = PLACES.get(params.get("q", "").strip().lower(), [])
                self._send(200, found[: int(params.get("limit", "10"))])

        def _send(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
