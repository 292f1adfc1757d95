"""worker.subscribed: one handler per outbox kind, however many slices subscribe to it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rendezvous.outbox.worker import Item, Retry
from rendezvous.worker import subscribed

ITEM = Item(1, "event.confirmed", {}, 1, datetime.now(UTC))


async def test_each_subscriber_in_turn_and_the_first_failure_stops_the_rest() -> None:
    calls: list[str] = []

    async def chat(_: Item) -> None:
        calls.append("chat")

    async def mail(_: Item) -> None:
        calls.append("mail")
        raise Retry("the mail server is down")

    async def send(_: Item) -> int:
        return 204

    handlers = subscribed({"event.confirmed": chat, "webhook": send}, {"event.confirmed": mail})
    assert handlers["webhook"] is send  # one subscriber: its own handler, untouched
    with pytest.raises(Retry):
        await handlers["event.confirmed"](ITEM)
    assert calls == ["chat", "mail"]
