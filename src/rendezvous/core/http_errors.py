"""The one place where errors become HTTP responses."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap

from rendezvous.core.db.transactions import is_transient, is_unreachable
from rendezvous.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    RateLimited,
    Unavailable,
    Unprocessable,
)
from rendezvous.core.request_log import request_id_of

log = logging.getLogger(__name__)

STATUS_FOR: dict[type[DomainError], int] = {
    Invalid: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    Unprocessable: 422,
    RateLimited: 429,
    Unavailable: 503,
}
RETRY_AFTER_S = "2"


def _error(
    status_code: int, detail: str, headers: dict[str, str] | None = None, extra: object = None
) -> Response:
    body: dict[str, object] = {"status_code": status_code, "detail": detail}
    if extra:
        body["extra"] = extra
    return Response(
        body,
        status_code=status_code,
        headers=headers,
        media_type="application/json",
    )


def _unavailable(detail: str) -> Response:
    return _error(HTTP_503_SERVICE_UNAVAILABLE, detail, {"Retry-After": RETRY_AFTER_S})


def status_of(exc: DomainError) -> int:
    return next(STATUS_FOR[cls] for cls in type(exc).__mro__ if cls in STATUS_FOR)


def handle_domain_error(_: Request, exc: DomainError) -> Response:
    status = status_of(exc)
    if status == HTTP_503_SERVICE_UNAVAILABLE:
        return _unavailable(exc.detail)
    if isinstance(exc, RateLimited):
        return _error(status, exc.detail, {"Retry-After": str(exc.retry_after_s)})
    return _error(status, exc.detail)


def handle_validation_error(request: Request, exc: ValidationException) -> Response:
    """Litestar says "Validation failed for POST /x"; add what failed, and where."""
    problems = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        source = getattr(item.get("source"), "value", item.get("source"))
        key = item.get("key")
        # "data" names the whole body; msgspec's message then says where inside it.
        where = " ".join(str(part) for part in (source, key if key != "data" else None) if part)
        problems.append(f"{where}: {item.get('message')}" if where else str(item.get("message")))
    detail = exc.detail + (": " + "; ".join(problems) if problems else "")
    return _error(exc.status_code, detail, extra=exc.extra)


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if exc.status_code >= HTTP_500_INTERNAL_SERVER_ERROR:
        return handle_unexpected(request, exc)
    # JSON whatever the handler's own media type (Litestar would answer a 401 from a
    # calendar endpoint as text/calendar).
    return _error(exc.status_code, exc.detail, exc.headers, exc.extra)


def _where(request: Request) -> dict[str, object]:
    """What a log line may say about the request: its route, never its path (paths can
    hold secrets), and its id."""
    fields = {"method": request.method, "path": request.scope.get("path_template")}
    return {"fields": {**fields, "request_id": request_id_of(request.scope)}}


def handle_unexpected(request: Request, exc: Exception) -> Response:
    """Only a database that cannot be reached, or is too busy, is 503; anything else (a
    full disk, a missing file, a bug) is logged as an error with its cause and is 500."""
    cause = exc.__cause__ or exc.__context__ if isinstance(exc, HTTPException) else exc
    if cause is not None and is_unreachable(cause):
        log.warning("database unreachable: %s", type(cause).__name__, extra=_where(request))
        return _unavailable("The database is unavailable; please retry shortly.")
    if cause is not None and is_transient(cause):
        return _unavailable("The database is busy; please retry in a moment.")
    log.error("unhandled error: %r", cause or exc, exc_info=exc, extra=_where(request))
    return _error(HTTP_500_INTERNAL_SERVER_ERROR, "Internal Server Error")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: handle_domain_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
