"""Webhooks at the API's boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast, get_args

import msgspec
from litestar.params import Parameter

from rendezvous.core.schemas import MAX_ID, RequestBody, ResponseBody
from rendezvous.webhooks import guard

WebhookId = Annotated[int, Parameter(ge=1, le=MAX_ID, description="the webhook's id")]

Kind = Literal["generic", "discord", "slack", "telegram", "matrix"]
EventType = Literal[
    "event.proposed",
    "event.confirmed",
    "event.updated",
    "event.cancelled",
    "event.reminder",
    "waitlist.promoted",
    "rsvp.changed",
]
DeliveryStatus = Literal["pending", "delivered", "failed"]

KINDS: tuple[str, ...] = get_args(Kind)
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# One message per answer is too chatty for most groups.
DEFAULT_EVENT_TYPES = tuple(t for t in EVENT_TYPES if t != "rsvp.changed")

# A chat id is a number (negative for groups) or a public channel's @name.
TelegramChatId = Annotated[
    str, msgspec.Meta(pattern=r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$")
]
MatrixToken = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, pattern=r"^[!-~]+$")]


class WebhookCreate(RequestBody):
    kind: Kind
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=guard.MAX_URL_LENGTH)]
    events: Annotated[list[EventType], msgspec.Meta(min_length=1)] = msgspec.field(
        default_factory=lambda: cast(list[EventType], list(DEFAULT_EVENT_TYPES))
    )
    telegram_chat_id: TelegramChatId | None = None
    matrix_access_token: MatrixToken | None = None

    def __post_init__(self) -> None:
        # Whether it is a URL at all (400); whether it may be reached is the service's
        # question (422), since it takes a DNS lookup.
        try:
            guard.parse(self.url, allow_private=True)
        except guard.NotAUrl as exc:
            raise ValueError(f"url: {exc}") from None
        except guard.Refused:
            pass
        if len(set(self.events)) != len(self.events):
            raise ValueError("events: an event type is listed twice")
        if (self.kind == "telegram") != (self.telegram_chat_id is not None):
            raise ValueError("telegram_chat_id: required for telegram, and only for telegram")
        if (self.kind == "matrix") != (self.matrix_access_token is not None):
            raise ValueError("matrix_access_token: required for matrix, and only for matrix")


class Webhook(ResponseBody):
    id: int
    kind: Kind
    url: str  # masked: the chat's token is hidden
    events: list[EventType]
    active: bool
    created_at: datetime


class NewWebhook(Webhook, omit_defaults=True):
    """As Webhook, with a generic destination's signing secret, shown this once."""

    secret: str | None = None


class Delivery(ResponseBody):
    id: int
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None
