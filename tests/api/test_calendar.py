"""Invites, feeds and iTIP replies through HTTP, read back by icalendar and by ical.js
(Thunderbird's parser, which knows no time zones but the file's own VTIMEZONEs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from icalendar import Calendar

from rendezvous.calendars.tables import FeedToken
from rendezvous.core.tokens import hash_secret
from rendezvous.events.tables import Event
from tests.helpers import SATURDAYS, Api, Person, assert_error, circle, propose, rsvp
from tests.icaljs import parse_with_icaljs


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def confirmed(
    api: Api, group_id: int, by: Person, timezone: str, start: str, end: str, **fields: Any
) -> dict[str, Any]:
    """An event with one time option, confirmed."""
    event = await propose(
        api, group_id, by, timezone=timezone, time_options=[{"start": start, "end": end}], **fields
    )
    response = await api.post(f"/events/{event['id']}/confirm", by, json={})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def invite_of(api: Api, event_id: int, person: Person) -> bytes:
    response = await api.get(f"/events/{event_id}/invite.ics", person)
    assert response.status_code == 200, response.text
    return response.content


def vevent_of(content: bytes) -> Any:
    events = Calendar.from_ical(content).walk("VEVENT")
    assert len(events) == 1
    return events[0]


def lines(content: bytes) -> list[str]:
    """Unfolded content lines."""
    return content.decode().replace("\r\n ", "").split("\r\n")


def reply_body(
    uid: str, address: str, partstat: str, sequence: int | None = 1, **extra: str
) -> str:
    params = "".join(f";{name}={value}" for name, value in extra.items())
    sequence_line = f"SEQUENCE:{sequence}\r\n" if sequence is not None else ""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Calendar//EN\r\nMETHOD:REPLY\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\n{sequence_line}DTSTAMP:20270101T000000Z\r\n"
        f"ATTENDEE;PARTSTAT={partstat}{params}:{address}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def send_reply(api: Api, event_id: int, person: Person, body: str) -> Any:
    return await api.post(
        f"/events/{event_id}/reply",
        person,
        content=body.encode(),
        headers={"Content-Type": "text/calendar; charset=utf-8"},
    )


# --- invites ---------------------------------------------------------------------------

ZONES = [
    # (zone, start, end) in the zone's own local time: winter, summer, a DST weekend with
    # an event that crosses the change, the southern hemisphere's change, half-hour offsets
    ("Europe/London", "2027-01-16T14:00:00+00:00", "2027-01-16T18:00:00+00:00"),
    ("Europe/London", "2027-07-17T14:00:00+01:00", "2027-07-17T18:00:00+01:00"),
    ("America/New_York", "2027-03-14T01:30:00-05:00", "2027-03-14T03:30:00-04:00"),
    ("America/New_York", "2027-11-06T22:00:00-04:00", "2027-11-07T09:00:00-05:00"),
    ("Australia/Sydney", "2027-04-03T19:00:00+11:00", "2027-04-04T10:00:00+10:00"),
    ("Australia/Sydney", "2027-01-09T12:00:00+11:00", "2027-01-09T15:00:00+11:00"),
    ("Asia/Kolkata", "2027-02-20T18:30:00+05:30", "2027-02-20T21:00:00+05:30"),
]


async def test_invites_show_the_apis_instants_in_every_zone(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    events = [await confirmed(api, group_id, owner, *zone) for zone in ZONES]
    invites = [await invite_of(api, event["id"], member) for event in events]
    parsed = parse_with_icaljs(*invites)
    for (zone, start, end), event, content, by_icaljs in zip(
        ZONES, events, invites, parsed, strict=True
    ):
        assert (instant(event["start"]), instant(event["end"])) == (instant(start), instant(end))
        vevent = vevent_of(content)
        assert vevent.decoded("DTSTART").astimezone(UTC) == instant(start), zone
        assert vevent.decoded("DTEND").astimezone(UTC) == instant(end), zone
        [seen] = by_icaljs["events"]
        assert seen["error"] is None, seen
        assert (instant(seen["start"]), instant(seen["end"])) == (instant(start), instant(end))
        assert by_icaljs["timezones"] == [zone]
        assert seen["start_tzid"] == zone and seen["end_tzid"] == zone
        # compact: a few observances around the event, not decades of them
        assert content.count(b"BEGIN:STANDARD") + content.count(b"BEGIN:DAYLIGHT") <= 3


async def test_an_invite_carries_everything_a_calendar_app_shows(api: Api) -> None:
    owner = await api.verified("Olive", "olive@example.org")
    member = await api.signup("Mo")  # no e-mail
    other = await api.signup("Ada", email="ada@example.org")  # not verified
    outsider = await api.signup("Otto")
    group_id = await api.group(owner, "Forum mums")
    await api.join(group_id, owner, member, other)
    event = await confirmed(
        api,
        group_id,
        owner,
        "Europe/London",
        *SATURDAYS[0].values(),
        description="Lunch, then a walk",
        venue={
            "name": "The Crown",
            "address": "1 High St, York",
            "latitude": 53.96,
            "longitude": -1.08,
        },
    )
    event_id = event["id"]

    response = await api.get(f"/events/{event_id}/invite.ics", member)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8; method=REQUEST"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="rendezvous-event-{event_id}.ics"'
    )
    content = response.content
    raw = content.split(b"\r\n")
    assert raw[-1] == b"" and all(b"\n" not in line for line in raw)  # CRLF only
    assert all(len(line) <= 75 for line in raw)

    calendar = Calendar.from_ical(content)
    assert calendar["METHOD"] == "REQUEST"
    vevent = vevent_of(content)
    assert vevent["SUMMARY"] == "Meet-up" and vevent["STATUS"] == "CONFIRMED"
    assert int(vevent["SEQUENCE"]) == event["sequence"] == 1
    assert "Lunch, then a walk" in vevent["DESCRIPTION"]
    assert f"http://rendezvous.test/events/{event_id}" in vevent["DESCRIPTION"]
    assert vevent["LOCATION"] == "The Crown, 1 High St, York"
    assert (vevent["GEO"].latitude, vevent["GEO"].longitude) == (53.96, -1.08)
    assert vevent.decoded("DTSTAMP").tzinfo is not None

    [seen] = parse_with_icaljs(content)[0]["events"]
    assert seen["organizer"] == {"value": "mailto:olive@example.org", "cn": "Olive"}
    attendees = {a["cn"]: a for a in seen["attendees"]}
    assert set(attendees) == {"Olive", "Mo", "Ada"}
    assert attendees["Olive"]["value"] == "mailto:olive@example.org"
    assert attendees["Olive"]["role"] == "CHAIR"
    assert attendees["Mo"]["value"] == f"mailto:member-{member.id}@rendezvous.invalid"
    # an address nobody has confirmed is never written into an invite
    assert attendees["Ada"]["value"] == f"mailto:member-{other.id}@rendezvous.invalid"
    assert attendees["Ada"]["role"] == "REQ-PARTICIPANT"
    assert all(a["partstat"] == "NEEDS-ACTION" for a in attendees.values())
    assert all(a["cutype"] == "INDIVIDUAL" for a in attendees.values())
    # RSVP=TRUE for the one whose invite it is
    assert attendees["Mo"]["rsvp"] == "TRUE"
    assert attendees["Ada"]["rsvp"] is None and attendees["Olive"]["rsvp"] is None
    assert seen["alarms"] == [
        {"action": "DISPLAY", "trigger": "-P1D", "description": "Reminder: Meet-up"}
    ]
    [theirs] = parse_with_icaljs(await invite_of(api, event_id, other))[0]["events"]
    assert {a["cn"]: a["rsvp"] for a in theirs["attendees"]}["Ada"] == "TRUE"

    # outsiders see nothing; everyone needs a token
    assert_error(await api.get(f"/events/{event_id}/invite.ics", outsider), 404)
    assert_error(await api.get(f"/events/{event_id}/invite.ics"), 401)
    assert_error(await api.get("/events/999999/invite.ics", member), 404)


async def test_no_invite_while_proposed_and_geo_only_when_known(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(api, group_id, owner, venue={"name": "Somewhere in Xyzzyville"})
    assert_error(await api.get(f"/events/{event['id']}/invite.ics", member), 409, "proposal")
    await api.post(f"/events/{event['id']}/confirm", owner, json={})
    vevent = vevent_of(await invite_of(api, event["id"], member))
    assert vevent["LOCATION"] == "Somewhere in Xyzzyville" and "GEO" not in vevent
    never = await propose(api, group_id, owner)
    await api.post(f"/events/{never['id']}/cancel", owner)
    assert_error(await api.get(f"/events/{never['id']}/invite.ics", member), 409, "proposal")


async def test_uid_stays_and_sequence_grows_from_confirm_to_edit_to_cancel(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await propose(api, group_id, owner)
    event_id = event["id"]
    await api.post(f"/events/{event_id}/confirm", owner, json={})
    first = vevent_of(await invite_of(api, event_id, member))
    uid = str(first["UID"])
    assert int(first["SEQUENCE"]) == 1

    await api.patch(f"/events/{event_id}", owner, json={"title": "Spring meet-up"})
    await api.patch(f"/events/{event_id}", owner, json={"capacity": 5})  # not calendar news
    edited = vevent_of(await invite_of(api, event_id, member))
    assert (str(edited["UID"]), int(edited["SEQUENCE"])) == (uid, 2)
    assert edited["SUMMARY"] == "Spring meet-up"

    response = await api.post(f"/events/{event_id}/cancel", owner)
    assert response.json()["sequence"] == 3
    response = await api.get(f"/events/{event_id}/invite.ics", member)
    assert response.headers["content-type"] == "text/calendar; charset=utf-8; method=CANCEL"
    assert Calendar.from_ical(response.content)["METHOD"] == "CANCEL"
    cancelled = vevent_of(response.content)
    assert (str(cancelled["UID"]), int(cancelled["SEQUENCE"])) == (uid, 3)
    assert cancelled["STATUS"] == "CANCELLED" and not cancelled.walk("VALARM")
    [seen] = parse_with_icaljs(response.content)[0]["events"]
    assert (seen["uid"], seen["sequence"], seen["status"]) == (uid, 3, "CANCELLED")

    other = await propose(api, group_id, owner)
    await api.post(f"/events/{other['id']}/confirm", owner, json={})
    assert str(vevent_of(await invite_of(api, other["id"], member))["UID"]) != uid


async def test_partstats_follow_rsvps(api: Api) -> None:
    group_id, owner, admin, member, _ = await circle(api)
    late = await api.signup("Lou")
    silent = await api.signup("Sid")
    await api.join(group_id, owner, late, silent)
    event = await propose(api, group_id, owner, capacity=2)
    await api.post(f"/events/{event['id']}/confirm", owner, json={})
    await rsvp(api, event["id"], owner, "yes")
    await rsvp(api, event["id"], admin, "maybe")
    await rsvp(api, event["id"], member, "yes")
    assert (await rsvp(api, event["id"], late, "yes"))["waitlisted"] is True

    def partstats(content: bytes) -> dict[str, str]:
        [seen] = parse_with_icaljs(content)[0]["events"]
        return {a["cn"]: a["partstat"] for a in seen["attendees"]}

    assert partstats(await invite_of(api, event["id"], silent)) == {
        "Olive": "ACCEPTED",
        "Ada": "TENTATIVE",
        "Mo": "ACCEPTED",
        "Lou": "TENTATIVE",  # waitlisted: wants to come, holds no seat yet
        "Sid": "NEEDS-ACTION",
    }
    await rsvp(api, event["id"], member, "no")  # Lou moves up into the freed seat
    assert partstats(await invite_of(api, event["id"], silent))["Lou"] == "ACCEPTED"
    assert partstats(await invite_of(api, event["id"], silent))["Mo"] == "DECLINED"
    assert (await api.delete(f"/events/{event['id']}/rsvp", admin)).status_code == 204
    assert partstats(await invite_of(api, event["id"], silent))["Ada"] == "NEEDS-ACTION"


async def test_no_text_breaks_out_of_its_property(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    title = "Tea, cake; more\\tea\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:forged"
    description = "C:\\New folder\nline two, with ; and \\n literally " + "é" * 80
    venue = {"name": 'Café "Nero"; upstairs', "address": "1 High St,\r\nYork"}
    event = await confirmed(
        api,
        group_id,
        owner,
        "Europe/London",
        *SATURDAYS[0].values(),
        title=title,
        description=description,
        venue=venue,
    )
    await api.patch("/me", member, json={"name": 'Mo "the; \\great\\", Esq'})
    content = await invite_of(api, event["id"], member)
    physical = content.split(b"\r\n")
    assert physical.count(b"BEGIN:VEVENT") == 1 and physical.count(b"END:VEVENT") == 1
    assert not any(line.startswith("SUMMARY:forged") for line in lines(content))
    assert all(len(line) <= 75 for line in content.split(b"\r\n"))
    [seen] = parse_with_icaljs(content)[0]["events"]
    assert seen["summary"] == title.replace("\r\n", "\n")
    assert seen["description"].startswith(description)
    assert seen["location"] == 'Café "Nero"; upstairs, 1 High St,\nYork'
    assert 'Mo "the; \\great\\", Esq' in {a["cn"] for a in seen["attendees"]}
    # icalendar agrees where its own reader is sound (it misreads backslash-n sequences)
    assert str(vevent_of(content)["SUMMARY"]) == title.replace("\r\n", "\n")


# --- feeds -----------------------------------------------------------------------------


async def feed_path(api: Api, person: Person) -> str:
    response = await api.get("/me/feed", person)
    assert response.status_code == 200, response.text
    return str(response.json()["url"]).removeprefix("http://rendezvous.test")


async def test_feed_links_are_stable_secret_and_stored_hashed(api: Api) -> None:
    person = await api.signup("Ann")
    response = await api.get("/me/feed", person)
    links = response.json()
    url, webcal = links["url"], links["webcal_url"]
    assert url.startswith("http://rendezvous.test/feeds/") and url.endswith(".ics")
    assert webcal == "webcal://" + url.removeprefix("http://")
    token = url.removeprefix("http://rendezvous.test/feeds/").removesuffix(".ics")
    assert len(token) >= 40  # 256 bits, URL-safe base64, after a prefix
    assert (await api.get("/me/feed", person)).json() == links  # the same until rotated

    rows = await FeedToken.select()
    assert len(rows) == 1 and rows[0]["token_hash"] == hash_secret(token)
    assert all(token not in str(value) for value in rows[0].values())

    assert (await api.get(f"/feeds/{token}.ics")).status_code == 200  # no bearer needed
    rotated = (await api.post("/me/feed/rotate", person)).json()
    assert rotated["url"] != url and (await api.get("/me/feed", person)).json() == rotated
    assert_error(await api.get(f"/feeds/{token}.ics"), 404)
    new_path = rotated["url"].removeprefix("http://rendezvous.test")
    assert (await api.get(new_path)).status_code == 200

    assert_error(await api.get("/me/feed"), 401)
    assert_error(await api.post("/me/feed/rotate"), 401)
    for path in (
        "/feeds/rzf_unknown.ics",
        "/feeds/nonsense.ics",
        f"/feeds/{token}",
        new_path.removesuffix(".ics") + ".ical",
        "/feeds/" + "x" * 150 + ".ics",
    ):
        assert_error(await api.get(path), 404)


async def test_a_rotation_by_one_member_leaves_others_alone(api: Api) -> None:
    ann, bea = await api.signup("Ann"), await api.signup("Bea")
    ann_path, bea_path = await feed_path(api, ann), await feed_path(api, bea)
    assert ann_path != bea_path
    await api.post("/me/feed/rotate", ann)
    assert (await api.get(bea_path)).status_code == 200
    # the first request for a feed may come as a rotation
    cid = await api.signup("Cid")
    rotated = (await api.post("/me/feed/rotate", cid)).json()["url"]
    assert await feed_path(api, cid) == rotated.removeprefix("http://rendezvous.test")


async def test_the_feed_holds_the_members_meetups_in_all_their_groups(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    other_group = await api.group(member, "Board games")
    left_group = await api.group(owner, "Left behind")
    await api.join(left_group, owner, member)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    def span(days: float, hours: float = 3) -> tuple[str, str]:
        start = soon + timedelta(days=days)
        return start.isoformat(), (start + timedelta(hours=hours)).isoformat()

    london = await confirmed(api, group_id, owner, "Europe/London", *span(0), title="London")
    sydney = await confirmed(
        api, other_group, member, "Australia/Sydney", *span(40), title="Sydney"
    )
    await propose(api, group_id, owner, title="Still a proposal")
    gone = await confirmed(api, group_id, owner, "Europe/London", *span(5), title="Called off")
    await api.post(f"/events/{gone['id']}/cancel", owner)
    never = await propose(api, group_id, owner, title="Cancelled proposal")
    await api.post(f"/events/{never['id']}/cancel", owner)
    await confirmed(api, left_group, owner, "Europe/London", *span(1), title="Not mine")
    assert (
        await api.delete(f"/groups/{left_group}/members/{member.id}", member)
    ).status_code == 204
    far = (datetime.now(UTC) + timedelta(days=800)).isoformat()
    far_end = (datetime.now(UTC) + timedelta(days=800, hours=2)).isoformat()
    await confirmed(api, group_id, owner, "Europe/London", far, far_end, title="Too far")

    response = await api.get(await feed_path(api, member))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    content = response.content
    calendar = Calendar.from_ical(content)
    assert calendar["METHOD"] == "PUBLISH"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines(content)
    assert "X-PUBLISHED-TTL:PT1H" in lines(content)
    [by_icaljs] = parse_with_icaljs(content)
    assert by_icaljs["properties"]["x-wr-calname"] == "Rendezvous: Mo"
    assert by_icaljs["properties"]["name"] == "Rendezvous: Mo"
    assert sorted(by_icaljs["timezones"]) == ["Australia/Sydney", "Europe/London"]
    seen = {event["summary"]: event for event in by_icaljs["events"]}
    assert list(seen) == ["London", "Called off", "Sydney"]  # soonest first
    assert seen["Called off"]["status"] == "CANCELLED"
    assert seen["London"]["status"] == "CONFIRMED"
    for event in (london, sydney):
        shown = seen[event["title"]]
        assert (instant(shown["start"]), instant(shown["end"])) == (
            instant(event["start"]),
            instant(event["end"]),
        )
        assert shown["dtstamp"] == instant(event["updated_at"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert shown["attendees"] == [] and shown["organizer"] is None


async def test_the_feed_window(api: Api) -> None:
    """From 90 days ago to two years ahead; cancelled events for 30 days after."""
    group_id, owner, _, member, _ = await circle(api)
    now = datetime.now(UTC).replace(microsecond=0)

    async def at(days: int, title: str) -> dict[str, Any]:
        start = now + timedelta(days=days)
        return await confirmed(
            api,
            group_id,
            owner,
            "Europe/London",
            start.isoformat(),
            (start + timedelta(hours=2)).isoformat(),
            title=title,
        )

    await at(-100, "Long ago")
    await at(-80, "Recently")
    await at(700, "Next year but one")
    await at(760, "Too far ahead")
    old_cancel = await at(10, "Cancelled long ago")
    await api.post(f"/events/{old_cancel['id']}/cancel", owner)
    await Event.update({Event.updated_at: now - timedelta(days=31)}).where(
        Event.id == old_cancel["id"]
    )
    [seen] = parse_with_icaljs((await api.get(await feed_path(api, member))).content)
    assert [event["summary"] for event in seen["events"]] == ["Recently", "Next year but one"]


async def test_feed_etag_last_modified_and_304(api: Api) -> None:
    group_id, owner, _, member, _ = await circle(api)
    event = await confirmed(api, group_id, owner, "Europe/London", *SATURDAYS[0].values())
    path = await feed_path(api, member)

    first = await api.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and etag.endswith('"')
    again = await api.get(path)
    assert again.content == first.content  # byte-identical while nothing changed
    assert (again.headers["etag"], again.headers["last-modified"]) == (etag, last_modified)

    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": format_datetime(datetime.now(UTC) + timedelta(hours=1), True)},
    ):
        response = await api.get(path, headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b"" and response.headers["etag"] == etag
    for headers in (
        {"If-None-Match": '"stale"'},
        {"If-None-Match": '"stale"', "If-Modified-Since": last_modified},  # ETag decides
        {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"},
        {"If-Modified-Since": "not a date"},
    ):
        response = await api.get(path, headers=headers)
        assert response.status_code == 200 and response.content == first.content, headers

    # RSVPs are not in the feed: its bytes stay the same
    await rsvp(api, event["id"], member, "yes")
    assert (await api.get(path, headers={"If-None-Match": etag})).status_code == 304
    # an edit is: a new ETag, and the old one gets the whole feed
    await api.patch(f"/events/{event['id']}", owner, json={"title": "Renamed"})
    changed = await api.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert b"SUMMARY:Renamed" in changed.content
    assert instant(event["updated_at"]) <= datetime.now(UTC)
    # as is a renamed group, and joining a group with events of its own
    await api.patch(f"/groups/{group_id}", owner, json={"name": "Renamed group"})
    renamed = await api.get(path, headers={"If-None-Match": changed.headers["etag"]})
    assert renamed.status_code == 200 and b"Renamed group" in renamed.content
    other_group = await api.group(owner, "Another")
    await confirmed(
        api, other_group, owner, "Asia/Kolkata", *SATURDAYS[1].values(), title="Elsewhere"
    )
    assert b"Elsewhere" not in (await api.get(path)).content
    before_join = (await api.get(path)).headers
    await api.join(other_group, owner, member)
    joined = await api.get(path, headers={"If-None-Match": before_join["etag"]})
    assert joined.status_code == 200 and b"SUMMARY:Elsewhere" in joined.content
    assert b"TZID:Asia/Kolkata" in joined.content


async def test_every_change_to_an_event_reaches_the_feed(api: Api) -> None:
    """The feed is cached by what it is built from; no change may be served stale."""
    group_id, owner, _, member, _ = await circle(api)
    path = await feed_path(api, member)
    event = await propose(api, group_id, owner)
    event_id = event["id"]
    changes = [
        ("POST", f"/events/{event_id}/confirm", {}),
        ("PATCH", f"/events/{event_id}", {"capacity": 3}),
        ("PATCH", f"/events/{event_id}", {"venue": {"name": "Pub", "latitude": 1, "longitude": 2}}),
        ("PATCH", f"/events/{event_id}", {"description": "Bring cake"}),
        ("POST", f"/events/{event_id}/cancel", None),
    ]
    etag = (await api.get(path)).headers["etag"]
    for method, url, body in changes:
        response = await api.request(method, url, owner, json=body)
        assert response.status_code == 200, response.text
        after = response.json()
        feed = await api.get(path, headers={"If-None-Match": etag})
        assert feed.status_code == 200 and feed.headers["etag"] != etag, url
        etag = feed.headers["etag"]
        [shown] = parse_with_icaljs(feed.content)[0]["events"]
        assert shown["sequence"] == after["sequence"]
        assert shown["dtstamp"] == instant(after["updated_at"]).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert shown["status"] == after["status"].upper()
    assert "Bring cake" in shown["description"] and shown["geo"] == [1, 2]


# --- replies ---------------------------------------------------------------------------


async def uid_of(api: Api, event_id: int, person: Person) -> str:
    return str(vevent_of(await invite_of(api, event_id, person))["UID"])


async def answers(api: Api, event_id: int, person: Person) -> list[dict[str, Any]]:
    response = await api.get(f"/events/{event_id}/rsvps", person)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_calendar_reply_sets_the_rsvp(api: Api) -> None:
    owner = await api.signup("Olive", email="olive@example.org")
    member = await api.signup("Mo")
    emailed = await api.signup("Ada", email="Ada@Example.org")
    group_id = await api.group(owner)
    await api.join(group_id, owner, member, emailed)
    event = await confirmed(
        api, group_id, owner, "Europe/London", *SATURDAYS[0].values(), capacity=2
    )
    event_id, uid = event["id"], await uid_of(api, event_id=event["id"], person=member)
    own_address = f"mailto:member-{member.id}@rendezvous.invalid"

    response = await send_reply(api, event_id, member, reply_body(uid, own_address, "ACCEPTED"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user_id": member.id,
        "status": "yes",
        "guests": 0,
        "waitlisted": False,
        "waitlist_position": None,
    }
    # Google Calendar's guest count, and a comment, as a calendar app sends them
    body = (
        reply_body(uid, own_address, "TENTATIVE", X_NUM_GUESTS="1")
        .replace("X_NUM_GUESTS", "X-NUM-GUESTS")
        .replace("END:VEVENT", "COMMENT:Might be late\r\nEND:VEVENT")
    )
    response = await send_reply(api, event_id, member, body)
    assert response.json()["status"] == "maybe" and response.json()["guests"] == 1
    [mine] = [a for a in await answers(api, event_id, member) if a["user_id"] == member.id]
    assert mine["note"] == "Might be late"

    # matched by e-mail, whatever its case; the same seats and waitlist rules apply
    await rsvp(api, event_id, owner, "yes", guests=1)
    response = await send_reply(
        api, event_id, emailed, reply_body(uid, "MAILTO:ada@example.org", "ACCEPTED")
    )
    assert response.json()["waitlisted"] is True and response.json()["waitlist_position"] == 1
    response = await send_reply(api, event_id, member, reply_body(uid, own_address, "DECLINED"))
    assert response.json()["status"] == "no"
    await rsvp(api, event_id, owner, "yes", guests=0)
    [ada] = [a for a in await answers(api, event_id, member) if a["user_id"] == emailed.id]
    assert ada["status"] == "yes" and ada["waitlisted"] is False  # promoted


async def test_bad_replies_are_refused_and_change_nothing(api: Api) -> None:
    group_id, owner, admin, member, outsider = await circle(api)
    event = await confirmed(api, group_id, owner, "Europe/London", *SATURDAYS[0].values())
    event_id, uid = event["id"], await uid_of(api, event["id"], member)
    mine = f"mailto:member-{member.id}@rendezvous.invalid"
    theirs = f"mailto:member-{admin.id}@rendezvous.invalid"
    await rsvp(api, event_id, member, "maybe", note="keep me")
    before = await answers(api, event_id, member)

    cases: list[tuple[str | bytes, int, str]] = [
        (reply_body(uid, theirs, "ACCEPTED"), 403, "only answer for yourself"),
        (reply_body(uid, "mailto:stranger@example.org", "ACCEPTED"), 403, "yourself"),
        (reply_body("not-this-event", mine, "ACCEPTED"), 422, "another event"),
        (reply_body(uid, mine, "ACCEPTED", sequence=0), 409, "changed since"),
        (reply_body(uid, mine, "ACCEPTED", sequence=None), 409, "changed since"),
        (reply_body(uid, mine, "ACCEPTED", sequence=7), 422, "version 7"),
        (reply_body(uid, mine, "NEEDS-ACTION"), 422, "not an answer"),
        (reply_body(uid, mine, "ACCEPTED", **{"X-NUM-GUESTS": "11"}), 400, "X-NUM-GUESTS"),
        (reply_body(uid, mine, "ACCEPTED", **{"X-NUM-GUESTS": "many"}), 400, "X-NUM-GUESTS"),
        (reply_body(uid, mine, "ACCEPTED").replace("METHOD:REPLY", "METHOD:REQUEST"), 400, "REPLY"),
        (reply_body(uid, mine, "ACCEPTED").replace("ATTENDEE", "X-NOBODY"), 400, "ATTENDEE"),
        ("hello, calendar", 400, "iCalendar"),
        (b"\xff\xfe\x00garbage", 400, "iCalendar"),
        ("", 400, ""),
    ]
    for body, status, words in cases:
        response = await api.post(
            f"/events/{event_id}/reply",
            member,
            content=body if isinstance(body, bytes) else body.encode(),
            headers={"Content-Type": "text/calendar"},
        )
        assert_error(response, status, words)
    response = await api.post(f"/events/{event_id}/reply", member, json={"status": "yes"})
    assert_error(response, 415, "text/calendar")
    assert_error(await send_reply(api, event_id, outsider, reply_body(uid, mine, "ACCEPTED")), 404)
    assert_error(await api.post(f"/events/{event_id}/reply", content=b"x"), 401)
    assert await answers(api, event_id, member) == before

    proposal = await propose(api, group_id, owner)
    response = await send_reply(api, proposal["id"], member, reply_body(uid, mine, "ACCEPTED"))
    assert_error(response, 409, "proposal")
    await api.post(f"/events/{event_id}/cancel", owner)
    response = await send_reply(
        api, event_id, member, reply_body(uid, mine, "ACCEPTED", sequence=2)
    )
    assert_error(response, 409, "cancelled")
    assert await answers(api, event_id, member) == before


@pytest.mark.parametrize("partstat, status", [("ACCEPTED", "yes"), ("DECLINED", "no")])
async def test_a_reply_to_the_invite_round_trips(api: Api, partstat: str, status: str) -> None:
    """What the invite says about the caller, sent back with a new PARTSTAT, is accepted."""
    group_id, owner, _, member, _ = await circle(api)
    event = await confirmed(api, group_id, owner, "America/New_York", *SATURDAYS[2].values())
    invite = Calendar.from_ical(await invite_of(api, event["id"], member))
    vevent = invite.walk("VEVENT")[0]
    [attendee] = [a for a in vevent["ATTENDEE"] if a.params.get("RSVP") == "TRUE"]
    body = reply_body(str(vevent["UID"]), str(attendee), partstat, int(vevent["SEQUENCE"]))
    response = await send_reply(api, event["id"], member, body)
    assert response.status_code == 200 and response.json()["status"] == status
