"""Chat webhooks through the API: destinations, what each change posts to each kind of
chat, retries, and the guard. Every delivery here went over HTTP to a real server on
loopback (tests/webhook_receiver.py)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from rendezvous.outbox import queries as outbox
from rendezvous.webhooks import guard, outgoing, services, transport
from tests.helpers import SATURDAYS, Api, Person, assert_error, circle, propose, rsvp
from tests.webhook_receiver import Answer, Receiver

ALL_BUT_RSVPS = [
    "event.proposed",
    "event.confirmed",
    "event.updated",
    "event.cancelled",
    "event.reminder",
    "waitlist.promoted",
]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def _quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # The schedule's steps in seconds, not minutes and hours; each still counts.
    monkeypatch.setattr(outgoing, "BACKOFF_S", (0.3, 0.3, 0.3, 0.3, 0.3))


async def add(
    api: Api, group_id: int, by: Person, url: str, kind: str = "generic", **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        f"/groups/{group_id}/webhooks", by, json={"kind": kind, "url": url, **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def deliveries(api: Api, group_id: int, by: Person, webhook_id: int) -> list[dict[str, Any]]:
    response = await api.get(f"/groups/{group_id}/webhooks/{webhook_id}/deliveries", by)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def settled(
    api: Api, group_id: int, by: Person, webhook_id: int, count: int = 1, within_s: float = 15
) -> list[dict[str, Any]]:
    """The webhook's deliveries once `count` of them are no longer pending."""
    async with asyncio.timeout(within_s):
        while True:
            items = await deliveries(api, group_id, by, webhook_id)
            if sum(item["status"] != "pending" for item in items) >= count:
                return items
            await asyncio.sleep(0.05)


def verified(secret: str, request: Any) -> dict[str, Any]:
    """The payload, once the standardwebhooks package accepts its signature."""
    payload: dict[str, Any] = StandardWebhook(secret).verify(request.body, request.headers)
    return payload


# --- destinations -------------------------------------------------------------------------


async def test_owner_adds_lists_and_deletes_a_webhook(api: Api, receiver: Receiver) -> None:
    group_id, owner, admin, _, _ = await circle(api)
    created = await add(api, group_id, admin, receiver.url())
    assert created["kind"] == "generic"
    assert created["events"] == ALL_BUT_RSVPS
    assert created["active"] is True
    assert created["secret"].startswith("whsec_")
    datetime.fromisoformat(created["created_at"])

    listed = (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]

    response = await api.delete(f"/groups/{group_id}/webhooks/{created['id']}", owner)
    assert response.status_code == 204
    assert (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"] == []
    response = await api.delete(f"/groups/{group_id}/webhooks/{created['id']}", owner)
    assert_error(response, 404, "webhook")


async def test_members_are_refused_and_outsiders_see_nothing(api: Api, receiver: Receiver) -> None:
    group_id, owner, _, member, outsider = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    base = f"/groups/{group_id}/webhooks"
    for person, status in ((member, 403), (outsider, 404)):
        body = {"kind": "generic", "url": receiver.url()}
        assert_error(await api.post(base, person, json=body), status)
        assert_error(await api.get(base, person), status)
        assert_error(await api.get(f"{base}/{hook['id']}/deliveries", person), status)
        assert_error(await api.delete(f"{base}/{hook['id']}", person), status)
    # A webhook of another group is not found through this one.
    other_group = await api.group(outsider)
    assert_error(
        await api.get(f"/groups/{other_group}/webhooks/{hook['id']}/deliveries", outsider), 404
    )
    assert_error(await api.delete(f"/groups/{other_group}/webhooks/{hook['id']}", outsider), 404)
    assert len((await api.get(base, owner)).json()["items"]) == 1


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"kind": "irc", "url": "https://chat.example.org/hook"}, 400, ["kind"]),
        (
            {"kind": "generic", "url": "https://chat.example.org/h", "events": ["event.eaten"]},
            400,
            ["events"],
        ),
        ({"kind": "generic", "url": "https://chat.example.org/h", "events": []}, 400, ["events"]),
        (
            {"kind": "telegram", "url": "https://api.telegram.org/bot1:abc"},
            400,
            ["telegram_chat_id"],
        ),
        (
            {"kind": "matrix", "url": "https://matrix.example.org/_matrix/client/v3/rooms/!r:x"},
            400,
            ["matrix_access_token"],
        ),
        (
            {"kind": "slack", "url": "https://hooks.slack.com/x", "telegram_chat_id": "12"},
            400,
            ["telegram_chat_id"],
        ),
        ({"kind": "generic", "url": "not a url"}, 400, ["url"]),
        ({"kind": "generic", "url": "https://"}, 400, ["url"]),
        ({"kind": "generic", "url": "https://chat.example.org/" + "a" * 2000}, 400, ["url"]),
        ({"kind": "generic"}, 400, ["url"]),
        ({"kind": "generic", "url": "https://chat.example.org/h", "colour": "red"}, 400, []),
    ],
)
async def test_bad_destinations_are_refused_and_nothing_is_stored(
    api: Api, body: dict[str, Any], status: int, words: list[str]
) -> None:
    group_id, owner, *_ = await circle(api)
    assert_error(await api.post(f"/groups/{group_id}/webhooks", owner, json=body), status, *words)
    assert (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"] == []


async def test_urls_are_shown_masked(api: Api) -> None:
    group_id, owner, *_ = await circle(api)
    token = "Zx9-SECRET-TOKEN-abcdefghijklmnop"
    urls = {
        "discord": f"https://discord.com/api/webhooks/1234567890/{token}",
        "slack": f"https://hooks.slack.com/services/T000/B000/{token}",
        "telegram": f"https://api.telegram.org/bot123456:{token}",
    }
    for kind, url in urls.items():
        extra = {"telegram_chat_id": "-100123"} if kind == "telegram" else {}
        created = await add(api, group_id, owner, url, kind, **extra)
        assert token not in created["url"]
        assert created["url"].startswith(url.split(token)[0].split("bot")[0])
    listed = await api.get(f"/groups/{group_id}/webhooks", owner)
    assert token not in listed.text
    assert {w["kind"] for w in listed.json()["items"]} == set(urls)


async def test_a_group_has_at_most_ten_webhooks(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    for _ in range(services.MAX_PER_GROUP):
        await add(api, group_id, owner, receiver.url())
    response = await api.post(
        f"/groups/{group_id}/webhooks", owner, json={"kind": "generic", "url": receiver.url()}
    )
    assert_error(response, 409, "at most")


# --- the guard ----------------------------------------------------------------------------


@pytest.fixture
def guarded(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: no private addresses, https only."""
    real = services.get_settings()
    monkeypatch.setattr(
        services,
        "get_settings",
        lambda: type(real)(**{**_fields(real), "webhook_allow_private": False}),
    )


def _fields(settings: Any) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://chat.internal.example/hook",  # its DNS answer is private (below)
        "http://chat.example.org/hook",  # not https
    ],
)
async def test_the_guard_refuses_private_addresses(
    api: Api, guarded: None, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    real_resolve = guard.resolve

    async def resolve(host: str, port: int) -> list[Any]:
        if host == "chat.internal.example":
            return [ipaddress.ip_address("192.168.1.20")]
        if host == "chat.example.org":
            return [ipaddress.ip_address("93.184.215.14")]
        return await real_resolve(host, port)

    monkeypatch.setattr(guard, "resolve", resolve)
    group_id, owner, *_ = await circle(api)
    response = await api.post(
        f"/groups/{group_id}/webhooks", owner, json={"kind": "generic", "url": url}
    )
    body = assert_error(response, 422, "url")
    assert "/hook" not in body["detail"] and "meta-data" not in body["detail"]
    assert (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"] == []


async def test_the_guard_lets_a_public_address_through(
    api: Api, guarded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("93.184.215.14")]

    monkeypatch.setattr(guard, "resolve", resolve)
    group_id, owner, *_ = await circle(api)
    await add(api, group_id, owner, "https://chat.example.org/hook")


async def test_an_address_that_turned_private_is_refused_at_send_time(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked again before every send: DNS can change after the webhook was added."""
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, "https://chat.example.org/hook")
    real_check = guard.check

    async def check(url: str, *, allow_private: bool) -> Any:
        return await real_check(url, allow_private=False)  # as in production

    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("10.1.2.3")]

    monkeypatch.setattr(guard, "check", check)
    monkeypatch.setattr(guard, "resolve", resolve)
    await propose(api, group_id, owner)
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
    [item] = await outbox.items(outgoing.WEBHOOK)
    assert "10.1.2.3, a private address" in item["last_error"]
    assert "/hook" not in item["last_error"]


# --- what is posted -----------------------------------------------------------------------


async def test_every_event_type_reaches_a_generic_receiver_signed(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url(), events=[*ALL_BUT_RSVPS, "rsvp.changed"])
    secret = hook["secret"]

    async def next_of(event_type: str) -> dict[str, Any]:
        async with asyncio.timeout(15):
            while True:
                for request in receiver.at("/hook"):
                    payload = verified(secret, request)
                    if payload["type"] == event_type and request not in seen:
                        seen.append(request)
                        return payload
                await asyncio.sleep(0.02)

    seen: list[Any] = []
    event = await propose(api, group_id, owner, title="Spring meet-up", capacity=1)
    proposed = await next_of("event.proposed")
    assert proposed["data"]["group_id"] == group_id
    assert proposed["data"]["event"]["id"] == event["id"]
    assert proposed["data"]["event"]["title"] == "Spring meet-up"
    assert datetime.fromisoformat(proposed["timestamp"]).tzinfo is not None

    # Confirmed for a start within the reminder's 24 hours: the reminder is due at once.
    soon = datetime.now(UTC) + timedelta(hours=3)
    response = await api.post(
        f"/groups/{group_id}/events",
        owner,
        json={
            "title": "Tonight",
            "timezone": "Europe/London",
            "time_options": [
                {"start": soon.isoformat(), "end": (soon + timedelta(hours=2)).isoformat()}
            ],
            "capacity": 1,
        },
    )
    tonight = response.json()
    await next_of("event.proposed")
    response = await api.post(f"/events/{tonight['id']}/confirm", owner, json={})
    assert response.status_code == 200, response.text
    confirmed = await next_of("event.confirmed")
    assert confirmed["data"]["event"]["status"] == "confirmed"
    reminder = await next_of("event.reminder")
    assert reminder["data"]["event"]["id"] == tonight["id"]

    await rsvp(api, tonight["id"], admin)
    changed = await next_of("rsvp.changed")
    assert changed["data"]["rsvp"] == {
        "user_id": admin.id,
        "status": "yes",
        "guests": 0,
        "waitlisted": False,
    }
    await rsvp(api, tonight["id"], member)  # waitlisted
    await next_of("rsvp.changed")
    assert (await api.delete(f"/events/{tonight['id']}/rsvp", admin)).status_code == 204
    promoted = await next_of("waitlist.promoted")
    assert promoted["data"]["user_id"] == member.id
    withdrawn = await next_of("rsvp.changed")
    assert withdrawn["data"]["rsvp"]["status"] is None

    response = await api.patch(f"/events/{tonight['id']}", owner, json={"title": "Tonight, later"})
    assert response.status_code == 200, response.text
    updated = await next_of("event.updated")
    assert updated["data"]["event"]["title"] == "Tonight, later"

    assert (await api.post(f"/events/{tonight['id']}/cancel", owner)).status_code == 200
    cancelled = await next_of("event.cancelled")
    assert cancelled["data"]["event"]["status"] == "cancelled"

    # Each delivery its own id; the list is newest first, all delivered with their status.
    ids = [r.headers["webhook-id"] for r in receiver.at("/hook")]
    assert len(set(ids)) == len(ids)
    items = await settled(api, group_id, owner, hook["id"], count=len(ids))
    assert [i["id"] for i in items] == sorted((i["id"] for i in items), reverse=True)
    assert {i["status"] for i in items} == {"delivered"}
    assert {i["last_status_code"] for i in items} == {204}
    assert all(i["delivered_at"] and i["attempts"] == 1 for i in items)
    assert items[0]["event_type"] == "event.cancelled"


async def test_the_default_leaves_out_rsvps_and_a_webhook_hears_only_what_it_asked_for(
    api: Api, receiver: Receiver
) -> None:
    group_id, owner, admin, *_ = await circle(api)
    everything = await add(api, group_id, owner, receiver.url("/default"))
    confirmations = await add(
        api, group_id, owner, receiver.url("/confirmed"), events=["event.confirmed"]
    )
    event = await propose(api, group_id, owner)
    await rsvp(api, event["id"], admin)
    await api.post(
        f"/events/{event['id']}/confirm", owner, json={"option_id": event["time_options"][0]["id"]}
    )
    await receiver.wait("/confirmed")
    await receiver.wait("/default", 2)
    await asyncio.sleep(0.3)
    assert [r.json["type"] for r in receiver.at("/default")] == [
        "event.proposed",
        "event.confirmed",
    ]
    assert [r.json["type"] for r in receiver.at("/confirmed")] == ["event.confirmed"]
    assert len(await deliveries(api, group_id, owner, everything["id"])) == 2
    assert len(await deliveries(api, group_id, owner, confirmations["id"])) == 1


async def test_each_chat_gets_its_own_request(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    await add(api, group_id, owner, receiver.url("/discord/api/webhooks/1/tok"), "discord")
    await add(api, group_id, owner, receiver.url("/slack/services/T/B/tok"), "slack")
    await add(
        api,
        group_id,
        owner,
        receiver.url("/telegram/bot1:tok"),
        "telegram",
        telegram_chat_id="-100200300",
    )
    await add(
        api,
        group_id,
        owner,
        receiver.url("/matrix/_matrix/client/v3/rooms/!room:example.org"),
        "matrix",
        matrix_access_token="syt_matrix_token",
    )
    title = "Spring @everyone <!channel> <b>meet</b>"
    event = await propose(
        api, group_id, owner, title=title, venue={"name": "The Crown", "address": "York"}
    )

    [discord] = await receiver.wait("/discord")
    assert discord.method == "POST"
    assert discord.json["allowed_mentions"] == {"parse": []}
    content = discord.json["content"]
    assert len(content) <= 2000 and "@everyone" not in content
    assert "Forum friends" in content and "The Crown" in content
    assert f"/events/{event['id']}" in content

    [slack] = await receiver.wait("/slack")
    assert "<!channel>" not in slack.json["text"] and "&lt;!channel&gt;" in slack.json["text"]

    [telegram] = await receiver.wait("/telegram")
    assert telegram.path == "/telegram/bot1:tok/sendMessage"
    assert telegram.json["chat_id"] == "-100200300"
    assert telegram.json["parse_mode"] == "HTML"
    assert (
        "<b>meet</b>" not in telegram.json["text"]
        and "&lt;b&gt;meet&lt;/b&gt;" in telegram.json["text"]
    )

    [matrix] = await receiver.wait("/matrix")
    assert matrix.method == "PUT"
    assert matrix.path.startswith(
        "/matrix/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/"
    )
    assert matrix.headers["authorization"] == "Bearer syt_matrix_token"
    assert matrix.json["msgtype"] == "m.text"
    assert "Spring" in matrix.json["body"]
    # Saturday 6 March 2027, 12:00 in London: the event's own time zone.
    assert "12:00" in matrix.json["body"] and "GMT" in matrix.json["body"]


# --- retries ------------------------------------------------------------------------------


async def test_a_server_error_is_retried_with_the_same_id(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    matrix = await add(
        api, group_id, owner, receiver.url("/matrix/rooms/!r:x"), "matrix", matrix_access_token="t"
    )
    receiver.script("/hook", [Answer(500), Answer(503)])
    receiver.script("/matrix", [Answer(502)])
    await propose(api, group_id, owner)

    requests = await receiver.wait("/hook", 3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    # A fresh timestamp and signature on each attempt, each valid.
    for request in requests:
        verified(hook["secret"], request)
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert delivery["status"] == "delivered"
    assert delivery["attempts"] == 3
    assert delivery["last_status_code"] == 204

    first, second = await receiver.wait("/matrix", 2)
    assert first.path == second.path  # the transaction id: a retry is not shown twice
    [delivery] = await settled(api, group_id, owner, matrix["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


async def test_pending_then_given_up_after_the_last_step(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    receiver.script("/hook", [Answer(500)] * 10)
    await propose(api, group_id, owner)
    await receiver.wait("/hook")
    [delivery] = await deliveries(api, group_id, owner, hook["id"])
    assert delivery["event_type"] == "event.proposed"
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == len(outgoing.BACKOFF_S) + 1
    assert delivery["last_status_code"] == 500
    assert delivery["delivered_at"] is None


async def test_too_many_requests_waits_as_long_as_asked(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    receiver.script("/hook", [Answer(429, {"Retry-After": "2"})])
    await propose(api, group_id, owner)
    first, second = await receiver.wait("/hook", 2)
    assert second.at - first.at >= 1.9  # not the 0.3 s step
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


async def test_gone_makes_the_webhook_inactive(api: Api, receiver: Receiver) -> None:
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    receiver.script("/hook", [Answer(410)])
    await propose(api, group_id, owner)
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == 1
    assert delivery["last_status_code"] == 410
    [listed] = (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"]
    assert listed["active"] is False
    # An inactive webhook hears nothing more.
    await propose(api, group_id, owner)
    await asyncio.sleep(0.5)
    assert len(receiver.at("/hook")) == 1
    assert len(await deliveries(api, group_id, owner, hook["id"])) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 302])
async def test_other_client_errors_are_final(api: Api, receiver: Receiver, status: int) -> None:
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    receiver.script("/hook", [Answer(status, {"Location": receiver.url("/elsewhere")})])
    await propose(api, group_id, owner)
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "failed",
        1,
        status,
    )
    assert receiver.at("/elsewhere") == []  # a redirect is never followed
    [listed] = (await api.get(f"/groups/{group_id}/webhooks", owner)).json()["items"]
    assert listed["active"] is True


async def test_a_slow_receiver_times_out_and_is_tried_again(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT_S", 0.5)
    group_id, owner, *_ = await circle(api)
    hook = await add(api, group_id, owner, receiver.url())
    receiver.script("/hook", [Answer(204, delay_s=3)])
    await propose(api, group_id, owner)
    first, second = await receiver.wait("/hook", 2)
    assert second.at - first.at < 2.5  # not held for the receiver's 3 s
    [delivery] = await settled(api, group_id, owner, hook["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 2


# --- deleting -----------------------------------------------------------------------------


async def _pending_deliveries() -> list[dict[str, Any]]:
    return [i for i in await outbox.items(outgoing.WEBHOOK) if i["state"] == "pending"]


async def test_deleting_a_webhook_or_its_group_drops_waiting_deliveries(
    api: Api, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outgoing, "BACKOFF_S", (60, 60, 60, 60, 60))
    group_id, owner, *_ = await circle(api)
    first = await add(api, group_id, owner, receiver.url("/first"))
    await add(api, group_id, owner, receiver.url("/second"))
    receiver.script("/first", [Answer(500)])
    receiver.script("/second", [Answer(500)])
    await propose(api, group_id, owner)
    await receiver.wait("/first")
    await receiver.wait("/second")
    await settled_pending(2)

    assert (
        await api.delete(f"/groups/{group_id}/webhooks/{first['id']}", owner)
    ).status_code == 204
    assert len(await _pending_deliveries()) == 1
    assert (await api.delete(f"/groups/{group_id}", owner)).status_code == 204
    assert await _pending_deliveries() == []
    assert_error(await api.get(f"/groups/{group_id}/webhooks", owner), 404)


async def settled_pending(count: int) -> None:
    """Wait until `count` deliveries wait for a retry (their first attempt recorded)."""
    async with asyncio.timeout(10):
        while True:
            waiting = [
                i
                for i in await _pending_deliveries()
                if i["attempts"] >= 1 and i["leased_until"] is None
            ]
            if len(waiting) >= count:
                return
            await asyncio.sleep(0.02)


async def test_a_refused_change_posts_nothing(api: Api, receiver: Receiver) -> None:
    group_id, owner, _, member, _ = await circle(api)
    await add(api, group_id, owner, receiver.url())
    response = await api.post(
        f"/groups/{group_id}/events",
        owner,
        json={"title": "", "timezone": "Europe/London", "time_options": SATURDAYS},
    )
    assert response.status_code == 400
    event = await propose(api, group_id, owner)
    assert_error(await api.post(f"/events/{event['id']}/confirm", member, json={}), 403)
    await receiver.wait("/hook")
    await asyncio.sleep(0.3)
    assert [r.json["type"] for r in receiver.at("/hook")] == ["event.proposed"]


async def test_answers_are_announced_only_while_a_webhook_listens_for_them(
    api: Api, receiver: Receiver
) -> None:
    """An announcement per answer costs the RSVP path: none is written while nobody
    listens for rsvp.changed (bench/rsvp.py)."""
    group_id, owner, admin, *_ = await circle(api)

    async def announced() -> int:
        return len(await outbox.items("rsvp.changed"))

    await add(api, group_id, owner, receiver.url("/default"))  # the default: no answers
    event = await propose(api, group_id, owner)
    await rsvp(api, event["id"], admin, "maybe")
    assert await announced() == 0

    hook = await add(api, group_id, owner, receiver.url("/answers"), events=["rsvp.changed"])
    await rsvp(api, event["id"], admin, "yes")
    assert await announced() == 1
    [request] = await receiver.wait("/answers")
    assert request.json["data"]["rsvp"]["status"] == "yes"

    assert (await api.delete(f"/groups/{group_id}/webhooks/{hook['id']}", owner)).status_code == 204
    await rsvp(api, event["id"], admin, "no")
    assert await announced() == 1
