"""Only a database that cannot be reached is "unavailable": other OS errors (a full disk,
a missing file) are server errors, logged with their cause (through HTTP)."""

from __future__ import annotations

import errno
import logging
from typing import Any, NoReturn

import pytest

from rendezvous.accounts import services
from tests.helpers import Api, assert_error


def failing_with(exc: BaseException) -> Any:
    async def fail(*args: Any, **kwargs: Any) -> NoReturn:
        raise exc

    return fail


@pytest.mark.parametrize(
    "exc",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        FileNotFoundError(errno.ENOENT, "No such file or directory", "/data/x"),
        PermissionError(errno.EACCES, "Permission denied"),
    ],
)
async def test_other_os_errors_are_logged_server_errors(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, exc: OSError
) -> None:
    ann = await api.signup("Ann")
    monkeypatch.setattr(services, "create_token", failing_with(exc))
    with caplog.at_level(logging.ERROR, logger="rendezvous.core.http_errors"):
        response = await api.post("/me/tokens", ann, json={"name": "laptop"})
    assert_error(response, 500)
    assert "retry-after" not in response.headers
    assert "unavailable" not in response.text.lower()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and exc.strerror in errors[0].getMessage()
    assert errors[0].exc_info is not None and errors[0].exc_info[1] is exc


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        TimeoutError(),
    ],
)
async def test_connection_errors_are_unavailable(
    api: Api, monkeypatch: pytest.MonkeyPatch, exc: OSError
) -> None:
    ann = await api.signup("Ann")
    monkeypatch.setattr(services, "create_token", failing_with(exc))
    response = await api.post("/me/tokens", ann, json={"name": "laptop"})
    assert_error(response, 503, "database")
    assert response.headers["retry-after"]
