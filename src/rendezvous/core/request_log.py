"""Structured logs: one JSON object per line, one line per request, and a request id.

Paths are logged as their route template (`/feeds/{feed_file}`, never the secret in
it) and nothing from the query string, headers or body is logged, so tokens, invite
codes, feed secrets and members' coordinates stay out of the logs.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
# A caller's (or proxy's) own id is kept if it looks like one; anything else is replaced.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_FIELDS = "fields"  # the LogRecord attribute carrying a line's structured fields

request_log = logging.getLogger("rendezvous.request")


class JsonFormatter(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message, and its fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logging_config(level: str) -> dict[str, Any]:
    """dictConfig for every process (uvicorn applies it in each worker): JSON lines on
    stderr; uvicorn's own access log is off, replaced by RequestLog."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }


# Headers a part of the app leaves in scope["state"] for the response, whatever answers
# the request (the handler or an error handler): name and value, as bytes.
RESPONSE_HEADERS = "response_headers"


def request_id_of(scope: Scope) -> str | None:
    rid: str | None = scope.get("state", {}).get("request_id")
    return rid


class RequestLog:
    """ASGI wrapper around the whole app (unmatched paths included): gives each request
    an id, returns it in X-Request-ID with any RESPONSE_HEADERS, and logs the request
    when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Ids need to be unique, not secret: a random prefix and a counter (uuid4 cost as
        # much as the rest of this wrapper).
        self._id_prefix = os.urandom(8).hex()
        self._ids = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
                break
        request_id = (
            incoming if _VALID_ID.match(incoming) else f"{self._id_prefix}{next(self._ids):016x}"
        )
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        started = time.perf_counter()
        status = 500  # if the app fails before answering, the server answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # the message is the app's own, made for this response
                headers = [*message.get("headers", ()), id_header]
                headers += state.get(RESPONSE_HEADERS, ())
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if request_log.isEnabledFor(logging.INFO):
                fields = {
                    "request_id": request_id,
                    "method": scope.get("method"),
                    # the route, not the path: paths can hold secrets (feeds, invite codes)
                    "path": scope.get("path_template") or "(no route)",
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                request_log.info("request", extra={_FIELDS: fields})
