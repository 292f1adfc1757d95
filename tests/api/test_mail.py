"""Mail through the API: what each change mails, to whom, in what shape, and the pages
behind its links. Every message here went through a real SMTP server (tests/mailbox.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from icalendar import Calendar

from rendezvous.outbox import queries as outbox
from tests.helpers import SATURDAYS, Api, Person, assert_error, propose, rsvp
from tests.icaljs import parse_with_icaljs
from tests.mailbox import Mailbox, Received

FROM = "invites@meet.test"


def parts(message: EmailMessage) -> list[str]:
    """The message's MIME tree as content types, depth-first."""
    return [part.get_content_type() for part in message.walk()]


def calendar_part(message: EmailMessage) -> EmailMessage:
    [part] = [
        p
        for p in message.walk()
        if p.get_content_type() == "text/calendar" and p.get_filename() is None
    ]
    return part  # type: ignore[return-value]


def links(received: Received, prefix: str = "/a/") -> list[str]:
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None
    return re.findall(rf"https?://\S+?{re.escape(prefix)}[a-z0-9]+", str(text.get_content()))


async def page(api: Api, method: str, url: str) -> tuple[int, str]:
    response = await api.request(method, urlsplit(url).path)
    assert response.headers["content-type"].startswith("text/html"), response.headers
    return response.status_code, response.text


async def mums(api: Api) -> tuple[int, Person, Person, Person]:
    """A group: Olive (owner, London), Bea (verified, New York), Cy (address unverified)."""
    olive = await api.verified("Olive", "olive@example.org", timezone="Europe/London")
    bea = await api.verified("Bea", "bea@example.org", timezone="America/New_York")
    cy = await api.signup("Cy", email="cy@example.org")
    group_id = await api.group(olive, "Forum mums")
    await api.join(group_id, olive, bea, cy)
    return group_id, olive, bea, cy


# --- verification ----------------------------------------------------------------------


async def test_an_address_is_verified_by_the_button_in_its_mail_not_by_opening_the_link(
    api: Api, mailbox: Mailbox
) -> None:
    person = await api.signup("Ann", email="Ann@Example.org")
    [mail] = await mailbox.wait("Ann@Example.org")
    assert mail.sender == FROM
    assert "Confirm your e-mail address" in mail.message["Subject"]
    assert "multipart/alternative" in parts(mail.message)
    url = mailbox.link(mail, "/email/verify/")
    assert url.startswith("http://rendezvous.test/email/verify/")

    status, html = await page(api, "GET", url)  # what a mail scanner does
    assert status == 200 and "<button" in html and 'method="post"' in html
    assert (await api.get("/me", person)).json()["email_verified"] is False

    status, html = await page(api, "POST", url)
    assert status == 200 and "confirmed" in html
    me = (await api.get("/me", person)).json()
    assert me["email_verified"] is True and me["email_notifications"] is True

    # a new address starts unverified, and gets its own mail; the old link is dead
    response = await api.patch("/me", person, json={"email": "ann@elsewhere.org"})
    assert response.json()["email_verified"] is False
    await mailbox.wait("ann@elsewhere.org")
    assert (await page(api, "POST", url))[0] == 404
    # the same address spelt otherwise stays as it was
    await api.verify(person, "ann@elsewhere.org")
    response = await api.patch("/me", person, json={"email": "ANN@elsewhere.org"})
    assert response.json()["email_verified"] is True


async def test_unknown_verification_links_are_a_friendly_404_page(api: Api) -> None:
    for method in ("GET", "POST"):
        status, html = await page(api, method, "/email/verify/nosuchsecret")
        assert status == 404 and "doesn" in html and "<h1>" in html


async def test_a_fresh_verification_link_on_request(api: Api, mailbox: Mailbox) -> None:
    person = await api.signup("Ann", email="ann@example.org")
    await mailbox.wait("ann@example.org")
    response = await api.post("/me/email/verification", person)
    assert response.status_code == 202, response.text
    second = (await mailbox.wait("ann@example.org", 2))[-1]
    assert (await page(api, "POST", mailbox.link(second, "/email/verify/")))[0] == 200
    assert_error(await api.post("/me/email/verification", person), 409, "verified already")
    nobody = await api.signup("Nemo")
    assert_error(await api.post("/me/email/verification", nobody), 409, "no e-mail")
    assert_error(await api.post("/me/email/verification"), 401)


# --- proposals -------------------------------------------------------------------------


async def test_a_proposal_is_mailed_to_verified_members_but_its_proposer_with_vote_links(
    api: Api, mailbox: Mailbox
) -> None:
    group_id, olive, bea, _cy = await mums(api)
    event = await propose(api, group_id, olive, title="Meet-up in York")
    mail = (await mailbox.wait("bea@example.org", 2))[-1]
    message = mail.message
    assert "Forum mums" in message["Subject"] and "Meet-up in York" in message["Subject"]
    text = str(message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    # Bea lives in New York: 12:00 in London on 6 March is 07:00 there
    assert "Saturday 6 March 2027" in text and "07:00" in text
    vote_links = links(mail)
    assert len(vote_links) == 3 * len(SATURDAYS)
    assert mailbox.to("olive@example.org")[1:] == []  # only her verification mail
    assert mailbox.to("cy@example.org")[1:] == []  # unverified: only the verification mail

    # the first option's "yes", then the second's "maybe": each leaves the other votes
    yes_first, maybe_second = vote_links[0], vote_links[4]
    status, html = await page(api, "GET", yes_first)
    assert status == 200 and "Yes" in html and "<form" in html
    assert (await api.get(f"/events/{event['id']}/votes", bea)).json()["votes"] == {}
    assert (await page(api, "POST", yes_first))[0] == 200
    assert (await page(api, "POST", maybe_second))[0] == 200
    votes = (await api.get(f"/events/{event['id']}/votes", bea)).json()["votes"]
    first, second = (option["id"] for option in event["time_options"][:2])
    assert votes == {str(first): "yes", str(second): "maybe"}

    # once confirmed, voting is over: the page says so with the API's 409
    await api.post(f"/events/{event['id']}/confirm", olive, json={})
    status, html = await page(api, "POST", vote_links[2])
    assert status == 409 and "closed" in html


# --- invites by mail (iMIP) --------------------------------------------------------------


def assert_imip(mail: Received, method: str) -> Calendar:
    message = mail.message
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    inline = calendar_part(message)
    assert inline.get_param("method") == method
    assert str(inline.get_param("charset")).lower() == "utf-8"
    assert attachment.get_filename() == "invite.ics"
    content = inline.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == content
    calendar = Calendar.from_ical(content)
    assert calendar["METHOD"] == method
    [parsed] = parse_with_icaljs(content)
    assert parsed["events"][0]["error"] is None
    return calendar


async def test_a_confirmation_is_an_imip_invite_answered_by_the_recipients_own_address(
    api: Api, mailbox: Mailbox
) -> None:
    group_id, olive, _bea, _cy = await mums(api)
    event = await propose(api, group_id, olive, title="Meet-up in York", capacity=1)
    await mailbox.wait("bea@example.org", 2)
    response = await api.post(f"/events/{event['id']}/confirm", olive, json={})
    assert response.status_code == 200

    invites = {}
    for address in ("olive@example.org", "bea@example.org"):  # the proposer too
        mail = (await mailbox.wait(address, 3 if address.startswith("bea") else 2))[-1]
        calendar = assert_imip(mail, "REQUEST")
        [vevent] = calendar.walk("VEVENT")
        invites[address] = (mail, vevent)
        assert mail.message["From"] == "Olive via Rendezvous <invites@meet.test>"
        assert mail.message["Reply-To"].addresses[0].addr_spec == "olive@example.org"
        organizer = str(vevent["ORGANIZER"])
        assert re.fullmatch(r"mailto:rsvp-[a-z0-9]{32}@meet\.test", organizer), organizer
        assert vevent["ORGANIZER"].params["CN"] == "Olive"
        attendees = {str(a): a.params for a in vevent["ATTENDEE"]}
        mine = attendees[f"mailto:{address}"]
        assert mine["RSVP"] == "TRUE"
        assert [a for a, p in attendees.items() if p.get("RSVP") == "TRUE"] == [f"mailto:{address}"]
        # Cy's address is unverified: it appears nowhere
        assert "cy@example.org" not in mail.raw.decode()
    assert str(invites["olive@example.org"][1]["ORGANIZER"]) != str(
        invites["bea@example.org"][1]["ORGANIZER"]
    )
    assert mailbox.to("cy@example.org")[1:] == []

    # the one-click "going" link seats Bea; Olive, going too, finds the one seat taken
    bea_going = links(invites["bea@example.org"][0])[0]
    status, html = await page(api, "POST", bea_going)
    assert status == 200 and "going" in html.lower()
    olive_going = links(invites["olive@example.org"][0])[0]
    status, html = await page(api, "POST", olive_going)
    assert status == 200 and "waitlist, #1" in html
    # Bea can't go after all: Olive is promoted, and told by mail (not Bea, who acted)
    bea_no = links(invites["bea@example.org"][0])[2]
    assert (await page(api, "POST", bea_no))[0] == 200
    promoted = (await mailbox.wait("olive@example.org", 3))[-1]
    assert "seat" in promoted.message["Subject"].lower()
    rsvps = (await api.get(f"/events/{event['id']}/rsvps", olive)).json()["items"]
    assert next((r["name"], r["status"], r["waitlisted"]) for r in rsvps) == ("Olive", "yes", False)


async def test_an_update_and_a_cancellation_are_mailed_and_a_cancellation_asks_nothing(
    api: Api, mailbox: Mailbox
) -> None:
    group_id, olive, _bea, _ = await mums(api)
    event = await propose(api, group_id, olive, time_options=SATURDAYS[:1])
    await mailbox.wait("bea@example.org", 2)  # verification, proposal
    await api.post(f"/events/{event['id']}/confirm", olive, json={})
    await mailbox.wait("bea@example.org", 3)
    response = await api.patch(f"/events/{event['id']}", olive, json={"title": "Tea in York"})
    assert response.json()["sequence"] == 2
    updated = (await mailbox.wait("bea@example.org", 4))[-1]
    assert updated.message["Subject"].startswith("Updated")
    [vevent] = assert_imip(updated, "REQUEST").walk("VEVENT")
    assert vevent["SUMMARY"] == "Tea in York" and int(vevent["SEQUENCE"]) == 2
    # a capacity change calendars don't show mails nothing
    await api.patch(f"/events/{event['id']}", olive, json={"capacity": 5})

    await api.post(f"/events/{event['id']}/cancel", olive)
    cancelled = (await mailbox.wait("bea@example.org", 5))[-1]
    [vevent] = assert_imip(cancelled, "CANCEL").walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED" and int(vevent["SEQUENCE"]) == 3
    assert "RSVP=TRUE" not in cancelled.raw.decode().replace("\r\n ", "")
    assert links(cancelled) == []
    # links of earlier mails die with the event
    old_link = links(updated)[0]
    assert (await page(api, "GET", old_link))[0] == 404
    assert (await page(api, "POST", old_link))[0] == 404
    assert len(mailbox.to("bea@example.org")) == 5


async def test_nothing_is_mailed_to_members_who_turned_mail_off_or_for_a_refused_change(
    api: Api, mailbox: Mailbox
) -> None:
    group_id, olive, bea, _ = await mums(api)
    response = await api.patch("/me", bea, json={"email_notifications": False})
    assert response.json()["email_notifications"] is False
    event = await propose(api, group_id, olive, time_options=SATURDAYS[:1])
    await api.post(f"/events/{event['id']}/confirm", olive, json={})
    await mailbox.wait("olive@example.org", 2)  # her own invite
    before = len(await outbox.items())
    assert_error(await api.post(f"/events/{event['id']}/confirm", olive, json={}), 409)
    assert len(await outbox.items()) == before  # a refused change wrote nothing
    assert mailbox.to("bea@example.org")[1:] == []


async def test_one_click_links_that_do_not_exist_or_belong_to_no_action_are_404_pages(
    api: Api,
) -> None:
    for method in ("GET", "POST"):
        for secret in ("nosuchsecret", "x" * 500, "%C3%A9t%C3%A9"):
            status, html = await page(api, method, f"/a/{secret}")
            assert status == 404 and "<h1>" in html


async def test_member_text_in_a_mail_is_escaped_and_cannot_add_headers(
    api: Api, mailbox: Mailbox
) -> None:
    group_id, olive, _bea, _ = await mums(api)
    title = "<script>alert(1)</script>\r\nBcc: victim@example.org"
    await propose(api, group_id, olive, title=title)
    mail = (await mailbox.wait("bea@example.org", 2))[-1]
    assert mail.recipients == ["bea@example.org"]
    assert "Bcc" not in mail.message
    html = mail.message.get_body(preferencelist=("html",))
    assert html is not None and "<script>" not in str(html.get_content())
    assert "&lt;script&gt;" in str(html.get_content())


# --- reminders -------------------------------------------------------------------------


async def test_a_reminder_goes_to_those_coming_before_the_start(api: Api, mailbox: Mailbox) -> None:
    group_id, olive, bea, _ = await mums(api)
    dora = await api.verified("Dora", "dora@example.org")
    await api.join(group_id, olive, dora)
    # due 4 s from now (RENDEZVOUS_REMINDER_HOURS is 24)
    start = datetime.now(UTC) + timedelta(hours=24, seconds=4)
    option = {"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()}
    event = await propose(api, group_id, olive, time_options=[option])
    await mailbox.wait("bea@example.org", 2)  # the proposal
    await rsvp(api, event["id"], bea, "maybe")
    await rsvp(api, event["id"], dora, "no")
    await api.post(f"/events/{event['id']}/confirm", olive, json={})
    [reminder] = [
        m
        for m in await mailbox.wait("bea@example.org", 4, timeout=15)
        if "Reminder" in m.message["Subject"]
    ]
    assert "maybe" in str(reminder.message.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    assert not [m for m in mailbox.to("dora@example.org") if "Reminder" in m.message["Subject"]]
    items = [i for i in await outbox.items("event.reminder")]
    assert [i["state"] for i in items] == ["done"]


async def test_a_cancelled_meetups_reminder_is_withdrawn(api: Api) -> None:
    group_id, olive, _, _ = await mums(api)
    event = await propose(api, group_id, olive, time_options=SATURDAYS[:1])
    await api.post(f"/events/{event['id']}/confirm", olive, json={})
    [reminder] = await outbox.items("event.reminder")
    assert reminder["state"] == "pending"
    assert reminder["next_attempt_at"] == datetime.fromisoformat(SATURDAYS[0]["start"]) - timedelta(
        hours=24
    )
    await api.post(f"/events/{event['id']}/cancel", olive)
    assert await outbox.items("event.reminder") == []
