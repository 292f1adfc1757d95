"""Request and response bodies for calendar feeds (invites and replies are iCalendar)."""

from __future__ import annotations

from rendezvous.core.schemas import ResponseBody


class FeedLinks(ResponseBody):
    url: str  # https://.../feeds/<secret>.ics: the secret is the whole of its protection
    webcal_url: str  # the same, as calendar apps open it to subscribe
