"""Unit tests of rendezvous.mail.pages: the one-click pages are accessible, script-free and
escape member-written text."""

# The expected text is typographic: en dashes between times, as people read them.
# ruff: noqa: RUF001

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from rendezvous.mail.pages import render


class Outline(HTMLParser):
    """The tags and attributes a page is made of."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser


TITLE = 'Tea <script>alert("hi")</script> & cake'
PAGES = {
    "confirm.html": {
        "heading": f"Answer yes to {TITLE}?",
        "explanation": f"You're answering Yes to Saturday 14 March for “{TITLE}” in Forum Mums.",
        "button": "Yes, I'm going",
        "action_url": "/a/s3cret?x=1&y=2",
    },
    "outcome.html": {
        "heading": "You're on the waitlist, #2",
        "message": f"We'll tell you if a seat comes free at “{TITLE}”.",
        "details": [TITLE, "Saturday 14 March 2026, 11:00–16:00 GMT"],
    },
    "not_found.html": {"message": f"“{TITLE}” was cancelled."},
}


@pytest.mark.parametrize("template", sorted(PAGES))
def test_pages_are_accessible_and_script_free(template: str) -> None:
    html = render(template, **PAGES[template])
    page = outline(html)
    assert html.startswith("<!DOCTYPE html>")
    assert page.named("html") == [{"lang": "en"}]
    assert {"name": "viewport", "content": "width=device-width, initial-scale=1"} in page.named(
        "meta"
    )
    assert len(page.named("title")) == 1
    assert len(page.named("h1")) == 1
    assert len(page.named("main")) == 1
    assert page.named("script") == []
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)


@pytest.mark.parametrize("template", sorted(PAGES))
def test_member_text_is_escaped(template: str) -> None:
    html = render(template, **PAGES[template])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; cake" in html


def test_confirm_posts_to_its_own_url() -> None:
    page = outline(render("confirm.html", **PAGES["confirm.html"]))
    (form,) = page.named("form")
    assert form == {"method": "post", "action": "/a/s3cret?x=1&y=2"}
    (button,) = page.named("button")
    assert button == {"type": "submit"}
    assert render("pages/confirm.html", **PAGES["confirm.html"]) == render(
        "confirm.html", **PAGES["confirm.html"]
    )


def test_confirm_without_an_action_posts_to_the_page() -> None:
    context = PAGES["confirm.html"] | {"action_url": ""}
    (form,) = outline(render("confirm.html", **context)).named("form")
    assert form == {"method": "post"}


def test_outcome_without_details() -> None:
    html = render("outcome.html", heading="Thanks", message="You're going.")
    assert "<ul>" not in html
    assert "<h1>Thanks</h1>" in html


def test_not_found_has_defaults() -> None:
    html = render("not_found.html")
    assert "<h1>This link doesn&#39;t work</h1>" in html
    assert "It may have expired, or the meetup was cancelled." in html
    assert "<title>This link doesn&#39;t work – Rendezvous</title>" in html
    assert "<h1>Gone</h1>" in render("not_found.html", heading="Gone")
