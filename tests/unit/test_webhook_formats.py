"""Unit tests of rendezvous.webhooks.formats: each chat kind's request for each event type, the
Standard Webhooks signature (checked by the independent `standardwebhooks` package), escaping of
member text, times in the event's zone, length limits and URL masking."""

# The expected text is typographic: en dashes between times, curly quotes around titles.
# ruff: noqa: RUF001

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook

from rendezvous.core.times import when
from rendezvous.events.schemas import Event, RsvpCounts, TimeOption, Venue, VoteCounts
from rendezvous.webhooks.formats import (
    Destination,
    News,
    mask,
    new_secret,
    request_for,
    sign,
    text,
)
from rendezvous.webhooks.schemas import DEFAULT_EVENT_TYPES, EVENT_TYPES, KINDS

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
START = datetime(2026, 6, 13, 10, 0, tzinfo=UTC)  # 11:00 BST, 20:00 AEST
END = datetime(2026, 6, 13, 15, 0, tzinfo=UTC)
LINK = "https://meet.example.org/groups/3/events/7"
DESTINATIONS = {
    "generic": Destination("generic", "https://hooks.example.org/in/", secret=SECRET),
    "discord": Destination("discord", "https://discord.com/api/webhooks/123456/disc-token"),
    "slack": Destination("slack", "https://hooks.slack.com/services/T0001/B0002/slacktoken"),
    "telegram": Destination(
        "telegram", "https://api.telegram.org/bot4242:tele-token", telegram_chat_id="-1001234"
    ),
    "matrix": Destination(
        "matrix",
        "https://matrix.example.org/_matrix/client/v3/rooms/!room:example.org/",
        matrix_access_token="syt_matrix_token",
    ),
}
PHRASES = {
    "event.proposed": "Alison proposed",
    "event.confirmed": "is on.",
    "event.updated": "Alison changed",
    "event.cancelled": "Alison cancelled",
    "event.reminder": "is coming up.",
    "waitlist.promoted": "Beth has a seat at",
    "rsvp.changed": "Beth answered yes (+2 guests) to",
}
NASTY = "@everyone @here <@123> <#456> <@&789> <!channel> <b>hi</b> *bold* [x](http://evil) & co"


def event(**changes: Any) -> dict[str, Any]:
    """An Event as the API shows it, JSON-ready."""
    confirmed = Event(
        id=7,
        group_id=3,
        title="Spring meet-up",
        description="Bring a picnic.",
        status="confirmed",
        timezone="Europe/London",
        created_by=1,
        time_options=[
            TimeOption(id=11, start=START, end=END, votes=VoteCounts(yes=3, maybe=1, no=0))
        ],
        place_options=[],
        start=START,
        end=END,
        venue=Venue(name="The Crown", address="York", latitude=53.96, longitude=-1.08),
        capacity=20,
        rsvp_counts=RsvpCounts(yes=5, maybe=1, no=2, waitlisted=1, guests=3),
        sequence=2,
        created_at=NOW,
        updated_at=NOW,
    )
    built: dict[str, Any] = msgspec.to_builtins(msgspec.structs.replace(confirmed, **changes))
    return built


def options(count: int) -> list[TimeOption]:
    return [
        TimeOption(
            id=20 + i,
            start=START + timedelta(days=i),
            end=END + timedelta(days=i),
            votes=VoteCounts(yes=0, maybe=0, no=0),
        )
        for i in range(count)
    ]


def proposal(count: int = 3, **changes: Any) -> dict[str, Any]:
    return event(
        status="proposed", start=None, end=None, venue=None, time_options=options(count), **changes
    )


def news(type_: str = "event.confirmed", **changes: Any) -> News:
    base = News(
        type=type_,
        delivery_id="dlv_01HZX",
        occurred_at=datetime(2026, 6, 1, 10, 30, tzinfo=timezone(timedelta(hours=2))),
        group_id=3,
        group="Forum Friends",
        event=proposal() if type_ == "event.proposed" else event(),
        url=LINK,
        actor="Alison",
        member="Beth",
        extra={"rsvp": {"user_id": 5, "status": "yes", "guests": 2}},
    )
    return replace(base, **changes)


def payload(kind: str, item: News, now: datetime = NOW) -> dict[str, Any]:
    request = request_for(DESTINATIONS[kind], item, now)
    assert request.headers["content-type"] == "application/json"
    loaded: dict[str, Any] = json.loads(request.body)
    return loaded


def message(kind: str, item: News) -> str:
    field = {"discord": "content", "slack": "text", "telegram": "text", "matrix": "body"}[kind]
    found: str = payload(kind, item)[field]
    return found


class Markup(HTMLParser):
    """What a client shows of Telegram/Matrix HTML: the text, and which tags carry it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.shown = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.shown += data


def parsed(markup: str) -> Markup:
    parser = Markup()
    parser.feed(markup)
    parser.close()
    return parser


# Each kind, each event type


@pytest.mark.parametrize("type_", EVENT_TYPES)
@pytest.mark.parametrize("kind", [k for k in KINDS if k != "generic"])
def test_chat_message_for_each_kind_and_type(kind: str, type_: str) -> None:
    raw = message(kind, news(type_))
    said = parsed(raw).shown if kind == "telegram" else raw
    assert PHRASES[type_] in said
    assert "Forum Friends" in said and "Spring meet" in said
    link = {"slack": f"<{LINK}|", "telegram": f'<a href="{LINK}">'}.get(kind, LINK)
    assert link in raw
    if type_ == "event.proposed":
        assert "vote on 3 dates" in said
        assert said.count("• ") == 3
    else:
        assert "Saturday 13 June 2026, 11:00–16:00 BST" in said
    if type_ not in {"event.proposed", "event.cancelled"}:
        assert "Where: The Crown, York" in said


@pytest.mark.parametrize("type_", EVENT_TYPES)
def test_requests_have_the_shape_each_chat_expects(type_: str) -> None:
    item = news(type_)
    discord = request_for(DESTINATIONS["discord"], item, NOW)
    assert (discord.method, discord.url) == ("POST", DESTINATIONS["discord"].url)
    assert json.loads(discord.body)["allowed_mentions"] == {"parse": []}

    slack = request_for(DESTINATIONS["slack"], item, NOW)
    assert (slack.method, slack.url) == ("POST", DESTINATIONS["slack"].url)
    assert list(json.loads(slack.body)) == ["text"]

    telegram = request_for(DESTINATIONS["telegram"], item, NOW)
    assert telegram.url == "https://api.telegram.org/bot4242:tele-token/sendMessage"
    body = json.loads(telegram.body)
    assert body["chat_id"] == "-1001234"
    assert body["parse_mode"] == "HTML" and body["disable_web_page_preview"] is True

    matrix = request_for(DESTINATIONS["matrix"], item, NOW)
    assert matrix.method == "PUT"
    assert matrix.url == (
        "https://matrix.example.org/_matrix/client/v3/rooms/!room:example.org"
        "/send/m.room.message/dlv_01HZX"
    )
    assert matrix.headers["authorization"] == "Bearer syt_matrix_token"
    content = json.loads(matrix.body)
    assert content["msgtype"] == "m.text" and content["m.mentions"] == {}
    assert content["format"] == "org.matrix.custom.html"
    assert {tag for tag, _ in parsed(content["formatted_body"]).tags} <= {"b", "a", "br"}

    generic = request_for(DESTINATIONS["generic"], item, NOW)
    assert (generic.method, generic.url) == ("POST", "https://hooks.example.org/in")
    assert json.loads(generic.body) == {
        "type": type_,
        "timestamp": "2026-06-01T08:30:00Z",
        "data": {
            "group_id": 3,
            "event": item.event,
            "rsvp": {"user_id": 5, "status": "yes", "guests": 2},
        },
    }


def test_default_event_types_leave_out_rsvp_changes() -> None:
    assert set(EVENT_TYPES) - set(DEFAULT_EVENT_TYPES) == {"rsvp.changed"}


# Generic: Standard Webhooks


def test_generic_signature_verifies_with_standardwebhooks() -> None:
    now = datetime.now(UTC)
    request = request_for(DESTINATIONS["generic"], news(), now)
    assert request.headers["webhook-id"] == "dlv_01HZX"
    assert request.headers["webhook-timestamp"] == str(int(now.timestamp()))
    verified = Webhook(SECRET).verify(request.body, request.headers)
    assert verified["type"] == "event.confirmed"
    assert verified["data"]["event"]["title"] == "Spring meet-up"


def test_a_tampered_body_or_other_secret_does_not_verify() -> None:
    request = request_for(DESTINATIONS["generic"], news(), datetime.now(UTC))
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(request.body.replace(b"Spring", b"Autumn"), request.headers)
    with pytest.raises(Exception, match="signature"):
        Webhook(new_secret()).verify(request.body, request.headers)


def test_sign_matches_the_reference_implementation() -> None:
    body = b'{"type":"event.confirmed"}'
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    expected = Webhook(SECRET).sign("msg_1", moment, body)
    assert sign(SECRET, "msg_1", int(moment.timestamp()), body) == expected


def test_new_secret_is_32_random_bytes_in_base64() -> None:
    first, second = new_secret(), new_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_a_retry_keeps_its_id_and_matrix_transaction() -> None:
    item = news(delivery_id="dlv 7/a?b")
    later = NOW + timedelta(minutes=5)
    first, again = (request_for(DESTINATIONS["generic"], item, t) for t in (NOW, later))
    assert first.headers["webhook-id"] == again.headers["webhook-id"] == "dlv 7/a?b"
    assert first.headers["webhook-timestamp"] != again.headers["webhook-timestamp"]
    first, again = (request_for(DESTINATIONS["matrix"], item, t) for t in (NOW, later))
    assert first.url == again.url
    assert first.url.endswith("/send/m.room.message/dlv%207%2Fa%3Fb")


# Invalid input


def test_invalid_input_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="kind"):
        request_for(Destination("irc", "https://irc.example.org"), news(), NOW)
    with pytest.raises(ValueError, match="kind"):
        mask("irc", "https://irc.example.org")
    with pytest.raises(ValueError, match="style"):
        text(news(), "generic")
    with pytest.raises(ValueError, match="event type"):
        request_for(DESTINATIONS["slack"], news("event.deleted"), NOW)
    with pytest.raises(ValueError, match="aware"):
        request_for(DESTINATIONS["slack"], news(), datetime(2026, 6, 1))
    for kind in ("generic", "telegram", "matrix"):
        with pytest.raises(ValueError, match="needs"):
            request_for(Destination(kind, "https://chat.example.org"), news(), NOW)


# Escaping


def nasty_news() -> News:
    venue = {"name": NASTY, "address": "1 <script> St", "latitude": None, "longitude": None}
    return news(
        "rsvp.changed",
        group=NASTY,
        actor=NASTY,
        member=f"{NASTY}\nsecond line",
        event=event(title=f"{NASTY}\r\nline two\u2028three\u202eevil", venue=None)
        | {"venue": venue},
    )


def test_discord_text_is_inert() -> None:
    said = message("discord", nasty_news())
    assert "@everyone" not in said and "@here" not in said
    assert "@\u200beveryone" in said
    assert re.search(r"(?<!\\)<[@#!]", said) is None
    assert r"\*bold\*" in said
    assert r"\[x\]\(http\://evil\)" in said
    assert "](" not in said and "http://evil" not in said
    assert "\n" not in said.split("\n")[0] and "line two three evil" in said
    assert "\u202e" not in said


def test_slack_text_is_inert() -> None:
    said = message("slack", nasty_news())
    assert "<!" not in said and "<@" not in said and "<#" not in said
    assert "&lt;!channel&gt;" in said and "&amp; co" in said
    # The only "<" left opens the link to the event.
    assert said.count("<") == 1 and f"<{LINK}|See the meetup>" in said


def test_telegram_text_is_escaped_html() -> None:
    said = message("telegram", nasty_news())
    shown = parsed(said)
    assert {tag for tag, _ in shown.tags} == {"b", "a"}
    assert [attrs for tag, attrs in shown.tags if tag == "a"] == [[("href", LINK)]]
    # What the reader sees is the member's text, character for character, on one line.
    assert NASTY in shown.shown and "1 <script> St" in shown.shown
    assert f"{NASTY} line two three evil" in shown.shown


def test_matrix_body_is_plain_and_html_is_escaped() -> None:
    content = payload("matrix", nasty_news())
    assert content["m.mentions"] == {}
    assert NASTY in content["body"]
    assert "line two three evil" in content["body"]
    shown = parsed(content["formatted_body"])
    assert {tag for tag, _ in shown.tags} == {"b", "a", "br"}
    assert NASTY in shown.shown


def test_matrix_room_mention_is_broken() -> None:
    said = message("matrix", news(group="ping @room now"))
    assert "@room" not in said and "@\u200broom" in said


# Times and content


def test_times_are_in_the_events_zone() -> None:
    london = message("slack", news(event=event(timezone="Europe/London")))
    sydney = message("slack", news(event=event(timezone="Australia/Sydney")))
    assert "When: Saturday 13 June 2026, 11:00–16:00 BST" in london
    assert f"When: {when(START, END, 'Australia/Sydney')}" in sydney
    assert "AEST" in sydney and "20:00" in sydney and "BST" not in sydney


def test_a_proposal_lists_each_date_in_its_zone_up_to_ten() -> None:
    item = news("event.proposed", event=proposal(12, timezone="Australia/Sydney"))
    said = message("matrix", item)
    assert "Alison proposed “Spring meet-up” in Forum Friends: vote on 12 dates" in said
    assert f"• {when(START, END, 'Australia/Sydney')}" in said
    assert said.count("• ") == 10
    assert "…and 2 more" in said
    assert said.endswith(f"Vote on the dates: {LINK}")


def test_rsvp_change_gives_the_counts() -> None:
    said = message("matrix", news("rsvp.changed"))
    assert said.startswith("Beth answered yes (+2 guests) to “Spring meet-up” in Forum Friends.")
    assert "Now 5 going (+3 guests), 1 maybe, 2 not going, 1 on the waitlist." in said


def test_a_cancellation_says_which_time_was_cancelled() -> None:
    said = message("matrix", news("event.cancelled", actor=None))
    assert said.startswith("“Spring meet-up” in Forum Friends is cancelled.")
    assert "Was: Saturday 13 June 2026" in said


def test_discord_stays_within_2000_characters_and_keeps_the_link() -> None:
    long = "Very long title " * 500
    venue = {"name": "V" * 5000, "address": "@" * 5000, "latitude": None, "longitude": None}
    item = news(
        "event.proposed",
        event=proposal(20, title=long, description="x" * 5000) | {"venue": venue},
        group="G" * 5000,
        actor="*" * 5000,
    )
    body = payload("discord", item)
    assert len(body["content"].encode("utf-16-le")) // 2 <= 2000
    assert body["content"].endswith(LINK)
    assert body["allowed_mentions"] == {"parse": []}
    telegram = message("telegram", item)
    assert len(telegram) <= 4096 and parsed(telegram).tags[-1] == ("a", [("href", LINK)])


# Masking


@pytest.mark.parametrize(
    ("kind", "url", "masked"),
    [
        (
            "discord",
            "https://discord.com/api/webhooks/123456/disc-token",
            "https://discord.com/api/webhooks/123456/****",
        ),
        (
            "discord",
            "https://discord.com/api/v10/webhooks/123456/disc-token/?thread_id=9",
            "https://discord.com/api/v10/webhooks/123456/****/?thread_id=****",
        ),
        (
            "slack",
            "https://hooks.slack.com/services/T0001/B0002/slacktoken",
            "https://hooks.slack.com/services/T0001/B0002/****",
        ),
        (
            "telegram",
            "https://api.telegram.org/bot4242:tele-token",
            "https://api.telegram.org/bot4242:****",
        ),
        (
            "generic",
            "https://bob:hunter2@hooks.example.org/in?token=abc&x=1#frag",
            "https://bob:****@hooks.example.org/in?token=****&x=****#****",
        ),
        (
            "matrix",
            "https://matrix.example.org/_matrix/client/v3/rooms/!r:example.org",
            "https://matrix.example.org/_matrix/client/v3/rooms/!r:example.org",
        ),
        ("discord", "https://chat.example.org/hook/abc", "https://chat.example.org/****/****"),
        ("telegram", "https://tg.example.org/x/y", "https://tg.example.org/****/****"),
    ],
)
def test_mask_hides_the_secret_parts(kind: str, url: str, masked: str) -> None:
    assert mask(kind, url) == masked
    assert mask(kind, masked) == masked


@pytest.mark.parametrize("url", ["", "not a url", "http://[", "https://", "?", "#", "://x/@"])
@pytest.mark.parametrize("kind", KINDS)
def test_mask_never_raises_on_odd_urls(kind: str, url: str) -> None:
    assert mask(kind, mask(kind, url)) == mask(kind, url)


TOKENS = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127)
    | st.sampled_from("-_"),
    min_size=12,
    max_size=60,
)


@given(token=TOKENS)
def test_masked_urls_never_show_the_token(token: str) -> None:
    urls = {
        "discord": f"https://discord.com/api/webhooks/123456789/{token}",
        "slack": f"https://hooks.slack.com/services/T0123ABCD/B0456EFGH/{token}",
        "telegram": f"https://api.telegram.org/bot123456:{token}",
        "generic": f"https://user:{token}@hooks.example.org/in?token={token}",
        "matrix": f"https://matrix.example.org/_matrix/client/v3/rooms/!r?access_token={token}",
    }
    for kind, url in urls.items():
        masked = mask(kind, url)
        assert token not in masked
        assert mask(kind, masked) == masked


@given(kind=st.sampled_from(KINDS), url=st.text())
def test_mask_is_total_and_idempotent(kind: str, url: str) -> None:
    assert mask(kind, mask(kind, url)) == mask(kind, url)


@given(title=st.text(), group=st.text())
def test_no_title_or_group_pings_anybody(title: str, group: str) -> None:
    item = news("rsvp.changed", event=event(title=title), group=group, member=title)
    discord = text(item, "discord")
    assert "@everyone" not in discord and "@here" not in discord
    assert re.search(r"(?<!\\)<[@#!]", discord) is None
    slack = text(item, "slack")
    assert "<!" not in slack and "<@" not in slack and slack.count("<") == 1
