"""Strict JSON bodies: "3" is not an integer, 1 is not a boolean.

Litestar converts request bodies in msgspec's lax mode, which accepts numbers and
booleans written as strings. A well-behaved JSON API refuses wrong types, so this
before-request hook decodes each JSON body once more, strictly, against the handler's
`data` type, and answers 400 on a mismatch or on malformed JSON.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.exceptions import ValidationException

_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<path>[^`]*)`)?$", re.DOTALL)
_DECODER = "strict_body_decoder"  # the handler's opt holding its strict decoder


def prepare(app: Litestar) -> None:
    """Give each route handler that takes a body its strict decoder, once, at start-up."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            field = handler.parsed_fn_signature.parameters.get("data")
            if field is not None:
                handler.opt[_DECODER] = msgspec.json.Decoder(field.annotation, strict=True)


async def check_json_body(request: Request[Any, Any, Any]) -> None:
    decoder: msgspec.json.Decoder[Any] | None = request.route_handler.opt.get(_DECODER)
    if decoder is None:
        return
    body = await request.body()
    if not body:
        return  # a missing body is for Litestar to accept (optional) or refuse
    try:
        decoder.decode(body)
    except msgspec.ValidationError as exc:
        match = _LOCATION.match(str(exc))
        message = match["message"] if match else str(exc)
        item: dict[str, Any] = {"message": message, "source": "body"}
        if match and match["path"]:
            item["key"] = match["path"]
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}", extra=[item]
        ) from exc
    except msgspec.DecodeError as exc:
        raise ValidationException(detail=f"The request body is not valid JSON: {exc}") from exc
