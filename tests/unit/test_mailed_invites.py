"""A group's mailed invites are written once and addressed to each member
(calendars.services.invites_for): each must be exactly the invite written for that
member alone."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from rendezvous.calendars import ics
from rendezvous.calendars.services import InviteSource, invite_for, invites_for

STAMP = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

names = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=100)


def source(members: list[tuple[str, bool]], status: str = "confirmed") -> InviteSource:
    row = {
        "id": 7,
        "group": 1,
        "ical_uid": "c0ffee@rendezvous",
        "sequence": 2,
        "status": status,
        "title": "Meet-up in York",
        "description": "Lunch, then a walk",
        "starts_at": datetime(2027, 3, 13, 12, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 13, 17, tzinfo=UTC),
        "timezone": "Europe/London",
        "created_at": STAMP,
        "updated_at": STAMP,
        "venue_name": "The Crown",
        "venue_address": None,
        "venue_latitude": None,
        "venue_longitude": None,
        "created_by": 1,
    }
    contacts = [
        {
            "user_id": n,
            "name": name,
            "email": f"m{n}@example.org",
            "email_verified": verified,
            "email_notifications": True,
            "timezone": None,
        }
        for n, (name, verified) in enumerate(members, start=1)
    ]
    answers = {1: {"status": "yes", "waitlisted": False}}
    return InviteSource(row, "Forum mums", contacts, answers, contacts[0])


@settings(max_examples=40, deadline=None)
@given(
    members=st.lists(st.tuples(names, st.booleans()), min_size=1, max_size=6),
    organizer=names,
    status=st.sampled_from(["confirmed", "cancelled"]),
)
def test_each_addressed_invite_is_the_one_written_for_that_member(
    members: list[tuple[str, bool]], organizer: str, status: str
) -> None:
    group = source(members, status)
    replies = {
        m["user_id"]: f"mailto:rsvp-{'x' * 30}{m['user_id']}@meet.test" for m in group.members
    }
    mailed = invites_for(group, replies, organizer, STAMP)
    for user_id, reply in replies.items():
        alone = invite_for(group, user_id, STAMP, ics.Person(reply, organizer))
        assert mailed[user_id] == alone
