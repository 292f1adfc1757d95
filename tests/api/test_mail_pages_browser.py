"""The pages behind links in mails, in a real browser with JavaScript off: a served
`rendezvous` sends its mail to the suite's SMTP server, Chromium opens the links and
presses the buttons, and the API shows what they did."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect, sync_playwright

from tests.browser import CHROMIUM_ARGS, chromium
from tests.helpers import SATURDAYS, Person, sign_up
from tests.mailbox import Mailbox, Received
from tests.server import fresh_database, serving

pytestmark = pytest.mark.slow

SITE = "Rendezvous"
NOT_FOUND = "This link doesn't work"


# --- one served process and one browser for the module ----------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A served `rendezvous` on a database of its own; its mail goes to the suite's MAILBOX
    (RENDEZVOUS_MAIL_URL is in the environment it inherits)."""
    tmp_path = tmp_path_factory.mktemp("mail-pages")
    with (
        fresh_database(tmp_path) as url,
        serving(tmp_path, env={"RENDEZVOUS_DATABASE_URL": url}) as served,
    ):
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as api:
        yield api


class Browsing:
    """Fresh browser contexts with JavaScript off, allowed to ask only the served process;
    every request and console message is kept to be checked at the end."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.browser, self.base = browser, base
        self.own_host = urlsplit(base).netloc
        self.requested: list[str] = []
        self.console: list[str] = []
        self.contexts: list[BrowserContext] = []

    def page(self) -> Page:
        context = self.browser.new_context(java_script_enabled=False, service_workers="block")
        self.contexts.append(context)
        context.set_default_timeout(10_000)  # a button that goes nowhere fails soon
        context.route("**/*", self._only_this_server)
        context.on("request", lambda request: self.requested.append(request.url))
        page = context.new_page()
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        return page

    def _only_this_server(self, route: Route) -> None:
        if urlsplit(route.request.url).netloc == self.own_host:
            route.continue_()
        else:
            route.abort("internetdisconnected")

    def open(self, page: Page, link: str, status: int = 200) -> None:
        """Open a mail's link (its path, on the served process) as a click in a mail app would."""
        response = page.goto(self.base + urlsplit(link).path)
        assert response is not None and response.status == status, link
        assert response.headers["content-type"].startswith("text/html")

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Browser, base: str) -> Iterator[Browsing]:
    browsing = Browsing(browser, base)
    try:
        yield browsing
    finally:
        browsing.close()
    assert [url for url in browsing.requested if urlsplit(url).netloc != browsing.own_host] == []
    # CSP violations and the like are reported on the console, even with JavaScript off;
    # a 404 page is reported there too, and the tests expect those.
    expected = "Failed to load resource: the server responded with a status of 404"
    assert [line for line in browsing.console if expected not in line] == []


# --- what every page must be --------------------------------------------------------------


def assert_accessible(page: Page, heading: str) -> None:
    """One h1 saying `heading`, a title that starts with it, a language, a viewport for
    phones, a main landmark, and no script at all (they work without JavaScript)."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page).to_have_title(f"{heading} \u2013 {SITE}")
    assert page.locator("html").get_attribute("lang") == "en"
    viewport = page.locator('meta[name="viewport"]')
    expect(viewport).to_have_count(1)
    assert "width=device-width" in (viewport.get_attribute("content") or "")
    expect(page.get_by_role("main")).to_have_count(1)
    expect(page.locator("script")).to_have_count(0)


def press(page: Page, button: str, status: int = 200, keyboard: bool = False) -> None:
    """Press the page's one button (by its accessible name), by mouse or by keyboard; the
    form posts back to the page's own address and the answer has `status`."""
    before = page.url
    target = page.get_by_role("button", name=button, exact=True)
    expect(target).to_have_count(1)
    expect(page.get_by_role("button")).to_have_count(1)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        if keyboard:
            page.keyboard.press("Tab")
            expect(target).to_be_focused()
            page.keyboard.press("Enter")
        else:
            target.click()
    response = posted.value
    assert response.url == before and response.status == status
    page.wait_for_load_state()


# --- set-up through the API ---------------------------------------------------------------


def verified(client: httpx.Client, mailbox: Mailbox, name: str, email: str) -> Person:
    """Sign up and follow the verification mail (the button's POST, without a browser)."""
    person = sign_up(client, name, email=email, timezone="Europe/London")
    [mail] = mailbox.wait_sync(email)
    response = client.post(urlsplit(mailbox.link(mail, "/email/verify/")).path)
    assert response.status_code == 200, response.text
    return person


def group_of(client: httpx.Client, owner: Person, *members: Person) -> int:
    response = client.post("/groups", headers=owner.headers, json={"name": "Forum mums"})
    assert response.status_code == 201, response.text
    group_id = int(response.json()["id"])
    response = client.post(
        f"/groups/{group_id}/invites", headers=owner.headers, json={"max_uses": len(members)}
    )
    assert response.status_code == 201, response.text
    for member in members:
        accepted = client.post(f"/invites/{response.json()['code']}/accept", headers=member.headers)
        assert accepted.status_code == 201, accepted.text
    return group_id


def proposed(client: httpx.Client, group_id: int, by: Person, **fields: Any) -> dict[str, Any]:
    body = {"title": "Tea in York", "timezone": "Europe/London", "time_options": SATURDAYS}
    response = client.post(
        f"/groups/{group_id}/events", headers=by.headers, json={**body, **fields}
    )
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


def one_click_links(received: Received) -> list[str]:
    """The /a/ links in the mail's text part, in order."""
    text = received.message.get_body(preferencelist=("plain",))
    assert text is not None
    return re.findall(r"https?://\S+?/a/[a-z0-9]+", str(text.get_content()))


def is_imip(received: Received) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in received.message.walk())


# --- the tests ----------------------------------------------------------------------------


def test_an_address_is_confirmed_by_its_button_not_by_opening_the_link(
    client: httpx.Client, mailbox: Mailbox, browsing: Browsing
) -> None:
    person = sign_up(client, "Ann", email="ann@pages.test")
    [mail] = mailbox.wait_sync("ann@pages.test")
    link = mailbox.link(mail, "/email/verify/")

    page = browsing.page()
    browsing.open(page, link)  # what a mail scanner does too
    assert_accessible(page, "Confirm your e-mail address")
    expect(page.get_by_text("Confirm ann@pages.test as the address")).to_be_visible()
    me = client.get("/me", headers=person.headers).json()
    assert me["email_verified"] is False

    press(page, "Confirm my address")
    assert_accessible(page, "Address confirmed")
    expect(page.get_by_text("ann@pages.test is confirmed")).to_be_visible()
    assert client.get("/me", headers=person.headers).json()["email_verified"] is True

    page.reload()  # the browser asks before posting again; Playwright just does
    assert_accessible(page, "Address confirmed")  # confirming twice is harmless


def test_one_click_rsvps_seat_the_first_and_waitlist_the_second(
    client: httpx.Client, mailbox: Mailbox, browsing: Browsing
) -> None:
    olive = verified(client, mailbox, "Olive", "olive@rsvp.test")
    bea = verified(client, mailbox, "Bea", "bea@rsvp.test")
    cy = verified(client, mailbox, "Cy", "cy@rsvp.test")
    group_id = group_of(client, olive, bea, cy)
    event = proposed(client, group_id, olive, capacity=1, time_options=SATURDAYS[:1])
    response = client.post(f"/events/{event['id']}/confirm", headers=olive.headers, json={})
    assert response.status_code == 200, response.text

    going = {}
    for address in ("bea@rsvp.test", "cy@rsvp.test"):
        # the invite (iMIP) with the one-click answers; the proposal, overtaken by the
        # confirmation at once, may never have been mailed
        invite = mailbox.wait_sync_for(address, is_imip)
        going[address] = one_click_links(invite)[0]
        assert going[address] == mailbox.link(invite, "/a/")

    pages = {address: browsing.page() for address in going}
    for address, page in pages.items():  # both read the invite before either answers
        browsing.open(page, going[address])
        assert_accessible(page, "Answer Yes")
        expect(page.get_by_text("This tells the group you're going to")).to_be_visible()
    rsvps = client.get(f"/events/{event['id']}/rsvps", headers=olive.headers).json()
    assert rsvps["items"] == []  # opening a link changes nothing

    press(pages["bea@rsvp.test"], "I'm going")
    assert_accessible(pages["bea@rsvp.test"], "You're going!")
    press(pages["cy@rsvp.test"], "I'm going")
    assert_accessible(pages["cy@rsvp.test"], "You're on the waitlist, #1")

    rsvps = client.get(f"/events/{event['id']}/rsvps", headers=olive.headers).json()
    answers = {
        r["user_id"]: (r["status"], r["waitlisted"], r["waitlist_position"]) for r in rsvps["items"]
    }
    assert answers == {bea.id: ("yes", False, None), cy.id: ("yes", True, 1)}
    counts = client.get(f"/events/{event['id']}", headers=olive.headers).json()["rsvp_counts"]
    assert counts["yes"] == 1 and counts["waitlisted"] == 1


def test_a_vote_by_one_click_from_the_keyboard(
    client: httpx.Client, mailbox: Mailbox, browsing: Browsing
) -> None:
    olive = verified(client, mailbox, "Olive", "olive@vote.test")
    bea = verified(client, mailbox, "Bea", "bea@vote.test")
    event = proposed(client, group_of(client, olive, bea), olive)
    proposal = mailbox.wait_sync("bea@vote.test", 2)[-1]
    links = one_click_links(proposal)
    assert len(links) == 3 * len(SATURDAYS)  # yes, maybe, no for each time
    second = event["time_options"][1]["id"]

    page = browsing.page()
    browsing.open(page, links[4])  # the second time's "maybe"
    assert_accessible(page, "Vote Maybe")
    expect(page.get_by_text("You're answering Maybe to Saturday 13 March 2027")).to_be_visible()
    assert client.get(f"/events/{event['id']}/votes", headers=bea.headers).json()["votes"] == {}

    press(page, "Vote Maybe", keyboard=True)
    assert_accessible(page, "Vote saved")
    votes = client.get(f"/events/{event['id']}/votes", headers=bea.headers).json()["votes"]
    assert votes == {str(second): "maybe"}


def test_unknown_links_and_links_of_a_cancelled_event_are_a_404_page(
    client: httpx.Client, mailbox: Mailbox, browsing: Browsing
) -> None:
    page = browsing.page()
    for path in ("/a/nosuchsecret", "/email/verify/nosuchsecret"):
        browsing.open(page, path, 404)
        assert_accessible(page, NOT_FOUND)
        expect(page.get_by_role("button")).to_have_count(0)

    olive = verified(client, mailbox, "Olive", "olive@cancel.test")
    bea = verified(client, mailbox, "Bea", "bea@cancel.test")
    event = proposed(client, group_of(client, olive, bea), olive)
    [vote_yes, *_] = one_click_links(mailbox.wait_sync("bea@cancel.test", 2)[-1])
    browsing.open(page, vote_yes)
    assert_accessible(page, "Vote Yes")

    response = client.post(f"/events/{event['id']}/cancel", headers=olive.headers)
    assert response.status_code == 200, response.text
    # the page was open before the cancellation: its button now finds the link dead
    press(page, "Vote Yes", status=404)
    assert_accessible(page, NOT_FOUND)
    expect(page.get_by_text("the meetup may have been cancelled")).to_be_visible()
    browsing.open(page, vote_yes, 404)
    assert_accessible(page, NOT_FOUND)
    assert client.get(f"/events/{event['id']}/votes", headers=bea.headers).json()["votes"] == {}
