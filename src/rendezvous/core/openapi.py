"""OpenAPI helpers: the error body and the error responses a handler declares."""

from __future__ import annotations

from typing import Any

from litestar.openapi.datastructures import ResponseSpec

from rendezvous.core.schemas import ResponseBody

_MEANING = {
    400: "Malformed or invalid input (bad JSON, wrong types, unknown fields, out-of-range values)",
    401: "Missing, invalid or revoked bearer token",
    403: "A member of the group, but without the role this needs",
    404: "No such resource, or it belongs to a group the caller is not in",
    409: "Clashes with the current state",
    410: "No longer usable (an expired or used-up invite)",
    413: "Request body larger than 1 MB",
    415: "The body is not of the media type this endpoint reads",
    422: "Well-formed but impossible",
    429: (
        "Too many writes or geocoding lookups from this account this minute (or from this "
        "client address, without a valid token), or sign-ups from this address this hour; "
        "retry after the Retry-After delay"
    ),
    503: (
        "The database or the geocoding service is unavailable or busy; "
        "retry after the Retry-After delay"
    ),
}


class ErrorBody(ResponseBody):
    status_code: int
    detail: str
    extra: Any = None


def errors(*codes: int) -> dict[int, ResponseSpec]:
    """The error responses to declare for a handler; 429 and 503 apply to every one."""
    return {
        code: ResponseSpec(data_container=ErrorBody, description=_MEANING[code])
        for code in sorted({*codes, 429, 503})
    }
