"""`rendezvous demo`: seed a small group of friends with two proposals (one a joint date and
place poll) and print a tour of the API."""

from __future__ import annotations

import shlex
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rendezvous.accounts import services as accounts
from rendezvous.accounts.schemas import UserCreate
from rendezvous.core.locks import KeyedLock
from rendezvous.events import rsvps
from rendezvous.events import services as events
from rendezvous.events.schemas import Choice, EventCreate, RsvpIn, TimeOptionIn, VenueIn, Votes
from rendezvous.geo.deps import open_geocoder
from rendezvous.geo.gazetteer import Gazetteer
from rendezvous.geo.geocoder import CachedGeocoder
from rendezvous.groups import services as groups
from rendezvous.groups.schemas import GroupCreate, InviteCreate

LONDON = ZoneInfo("Europe/London")

# Friends from an online forum, spread across Britain. The first five plan the first
# meet-up; with the last four, each half of Britain has people enough for a joint poll.
FRIENDS = [
    ("Alison", "alison@example.org", "Leeds, UK"),
    ("Bronwen", "bronwen@example.org", "Cardiff, UK"),
    ("Catriona", "catriona@example.org", "Glasgow, UK"),
    ("Deborah", "deborah@example.org", "Norwich, UK"),
    ("Eilidh", None, "Inverness, UK"),
    ("Georgina", "georgina@example.org", "London, UK"),
    ("Harriet", "harriet@example.org", "Bristol, UK"),
    ("Isla", "isla@example.org", "Edinburgh, UK"),
    ("Jessie", None, "Aberdeen, UK"),
]
FIRST_MEETUP = 5  # the friends who vote and answer on the first meet-up
SCOTS = {"Catriona", "Eilidh", "Isla", "Jessie"}  # the rest live in England and Wales

# The joint poll's places, Scotland's first, then the middle, then England's.
PLACES = [
    VenueIn(name="Perth", address="Perth, UK"),
    VenueIn(name="Stirling", address="Stirling, UK"),
    VenueIn(name="York", address="York, UK"),
    VenueIn(name="Birmingham", address="Birmingham, UK"),
    VenueIn(name="Oxford", address="Oxford, UK"),
]


def _saturdays(count: int, weeks_ahead: int = 4) -> list[TimeOptionIn]:
    """Saturday afternoons, 12:00-17:00 London time, starting a few weeks from today."""
    first = date.today() + timedelta(weeks=weeks_ahead)
    first += timedelta(days=(5 - first.weekday()) % 7)
    days = [first + timedelta(weeks=i) for i in range(count)]
    return [
        TimeOptionIn(
            start=datetime.combine(day, time(12), LONDON),
            end=datetime.combine(day, time(17), LONDON),
        )
        for day in days
    ]


def _day(option: TimeOptionIn) -> str:
    """'Saturday 6 June'."""
    return f"{option.start:%A} {option.start.day} {option.start:%B}"


def _quoted(text: str) -> str:
    """`text` as one shell word in single quotes, whatever it holds."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _curl(base: str, method: str, path: str, body: str | None = None, as_: str = "ALISON") -> str:
    """A ready-to-paste curl command; the token comes from a shell variable set above.
    The URL and the body are quoted: a bare `&` would send the command to the background."""
    parts = ["curl -s"]
    if method != "GET":
        parts.append(f"-X {method}")
    if as_:
        parts.append(f'-H "Authorization: Bearer ${as_}"')
    if body is not None:
        parts.append(f"-H 'Content-Type: application/json' -d {_quoted(body)}")
    parts.append(_quoted(f"{base}{path}"))
    return " ".join(parts)


async def seed(base_url: str) -> str:
    """Create the friends, their group, an invite and two proposals; return the tour to
    print."""
    geocoder = open_geocoder(Gazetteer.load())
    try:
        return await _seed(base_url, geocoder)
    finally:
        await geocoder.close()


async def _seed(base_url: str, geocoder: CachedGeocoder) -> str:
    signups = [
        await accounts.create_user(UserCreate(name=name, email=email, region=region), geocoder)
        for name, email, region in FRIENDS
    ]
    organiser = signups[0]
    group = await groups.create_group(
        organiser.user.id,
        GroupCreate(
            name="Forum friends meet-up",
            description="Seven years on the forum; time to meet in person.",
        ),
    )
    invite = await groups.create_invite(
        group.id, organiser.user.id, InviteCreate(max_uses=10, expires_in_hours=24 * 7)
    )
    for signup in signups[1:]:
        await groups.accept_invite(invite.code, signup.user.id)
    await groups.change_role(group.id, organiser.user.id, signups[1].user.id, "admin")
    spare = await groups.create_invite(group.id, organiser.user.id, InviteCreate())

    event = await events.create_event(
        group.id,
        organiser.user.id,
        EventCreate(
            title="First meet-up",
            description="Lunch somewhere central, then a walk.",
            timezone="Europe/London",
            time_options=_saturdays(3),
            capacity=6,
        ),
        geocoder,
    )
    first, second, third = (option.id for option in event.time_options)
    ballots: list[dict[int, Choice]] = [
        {first: "yes", second: "maybe", third: "no"},
        {first: "no", second: "yes", third: "yes"},
        {second: "yes", third: "maybe"},
        {first: "yes", second: "yes"},
        {third: "yes"},
    ]
    for signup, ballot in zip(signups[:FIRST_MEETUP], ballots, strict=True):
        await events.put_votes(event.id, signup.user.id, Votes(votes=ballot))
    answers: list[tuple[Choice, int]] = [
        ("yes", 1),
        ("yes", 0),
        ("maybe", 0),
        ("yes", 2),
        ("yes", 0),
    ]
    answering = KeyedLock()
    for signup, (status, guests) in zip(signups[:FIRST_MEETUP], answers, strict=True):
        await rsvps.put_rsvp(
            event.id, signup.user.id, RsvpIn(status=status, guests=guests), answering
        )

    # A joint poll: when and where together. The Scots can make the first Saturday, the
    # English and Welsh the second; each votes for a place near their half.
    walk_days = _saturdays(2, weeks_ahead=8)
    walk = await events.create_event(
        group.id,
        organiser.user.id,
        EventCreate(
            title="Walk and supper",
            description="A day's walk, then supper: which Saturday, and where?",
            timezone="Europe/London",
            time_options=walk_days,
            place_options=PLACES,
        ),
        geocoder,
    )
    scots_day, southern_day = (option.id for option in walk.time_options)
    place = {option.name: option.id for option in walk.place_options}
    for signup in signups:
        scot = signup.user.name in SCOTS
        dates: dict[int, Choice] = {
            scots_day: "yes" if scot else "no",
            southern_day: "no" if scot else "yes",
        }
        places: dict[int, Choice] = (
            {place["Perth"]: "yes", place["Stirling"]: "maybe"}
            if scot
            else {place["Birmingham"]: "yes", place["Oxford"]: "maybe"}
        )
        await events.put_votes(walk.id, signup.user.id, Votes(votes=dates, place_votes=places))

    lines = [
        f"Seeded group {group.id} '{group.name}' with {len(signups)} friends:",
        *(f"  {s.user.name:<9} {s.user.region_label}" for s in signups),
        f"and two proposals: event {event.id} '{event.title}' (when) and event {walk.id} "
        f"'{walk.title}' (when and where).",
        "",
        "Serve the API (rendezvous serve), then paste these into a shell:",
        "",
        *(f"export {s.user.name.upper()}={shlex.quote(s.token)}" for s in signups),
        "",
        f"# who am I? ({organiser.user.name}, the group's owner)",
        _curl(base_url, "GET", "/me"),
        "# my groups, then this one with its members and their roles",
        _curl(base_url, "GET", "/groups"),
        _curl(base_url, "GET", f"/groups/{group.id}"),
        "# invite one more friend: a single-use code valid for 72 hours",
        _curl(base_url, "POST", f"/groups/{group.id}/invites", '{"max_uses": 1}'),
        "# a newcomer signs up (the response holds her token, shown once)",
        "export FIONA=$("
        + _curl(base_url, "POST", "/users", '{"name": "Fiona", "region": "Exeter, UK"}', as_="")
        + """ | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')""",
        "# as an outsider she cannot see the group (404) until she accepts a spare code (201)",
        _curl(base_url, "GET", f"/groups/{group.id}", as_="FIONA"),
        _curl(base_url, "POST", f"/invites/{spare.code}/accept", as_="FIONA"),
        "# a plain member cannot rename the group (403)",
        _curl(base_url, "PATCH", f"/groups/{group.id}", '{"name": "Renamed"}', as_="DEBORAH"),
        f"# the meet-up {organiser.user.name} proposed: three Saturdays, votes so far, 6 seats",
        _curl(base_url, "GET", f"/events/{event.id}"),
        "# Eilidh was too late for a seat: she is first on the waitlist",
        _curl(base_url, "GET", f"/events/{event.id}/rsvps"),
        "# Catriona changes her vote; Deborah's two guests stay home, so Eilidh gets a seat",
        _curl(
            base_url,
            "PUT",
            f"/events/{event.id}/votes",
            f'{{"votes": {{"{first}": "yes"}}}}',
            as_="CATRIONA",
        ),
        _curl(
            base_url,
            "PUT",
            f"/events/{event.id}/rsvp",
            '{"status": "yes", "guests": 0}',
            as_="DEBORAH",
        ),
        "# where should they meet? real towns, least travel in all, then the fairest",
        _curl(base_url, "GET", f"/events/{event.id}/venue-suggestions?limit=3"),
        _curl(base_url, "GET", f"/events/{event.id}/venue-suggestions?strategy=fair&limit=3"),
        "# what would a region resolve to?",
        _curl(base_url, "GET", "/geocode?q=Portland,%20OR"),
        "# the organiser confirms the winning Saturday (most yes, then maybe, then earliest)",
        "# and the venue; its coordinates are looked up from the address",
        _curl(
            base_url,
            "POST",
            f"/events/{event.id}/confirm",
            '{"venue": {"name": "Station café", "address": "York, UK"}}',
        ),
        "# now it is confirmed: an invite to import into a calendar app (Deborah's copy)",
        _curl(base_url, "GET", f"/events/{event.id}/invite.ics", as_="DEBORAH"),
        "# her private feed address, to subscribe to (the feed itself needs no token)",
        _curl(base_url, "GET", "/me/feed", as_="DEBORAH"),
        f"# a joint poll, when and where together: the Scots voted yes on {_day(walk_days[0])},",
        f"# the English and Welsh on {_day(walk_days[1])}; each half voted for a place nearby",
        _curl(base_url, "GET", f"/events/{walk.id}"),
        "# per Saturday, the places ranked for those who can come, fairest first (the shortest",
        f"# longest journey): on {_day(walk_days[0])} the Scots can come and Perth is fairest",
        f"# (130 km at most, from Inverness); on {_day(walk_days[1])} the English and Welsh,",
        "# and Birmingham (217 km at most, from Norwich)",
        _curl(base_url, "GET", f"/events/{walk.id}/plan?strategy=fair"),
        "# least travel in all instead: Perth again for the Scots, but Oxford for the others",
        "# (745 km in all against Birmingham's 793, though Leeds is then 228 km away)",
        _curl(base_url, "GET", f"/events/{walk.id}/plan?strategy=total"),
        "# Eilidh adds a place the offline geocoder does not know, so with its coordinates;",
        "# it is fairer still for the Scots (111 km at most) and now heads their Saturday",
        _curl(
            base_url,
            "POST",
            f"/events/{walk.id}/place-options",
            '{"name": "Pitlochry", "latitude": 56.7024, "longitude": -3.7345}',
            as_="EILIDH",
        ),
        _curl(base_url, "GET", f"/events/{walk.id}/plan?strategy=fair"),
        "# Bronwen votes on places only: her Saturday votes stay as they were",
        _curl(
            base_url,
            "PUT",
            f"/events/{walk.id}/votes",
            f'{{"place_votes": {{"{place["York"]}": "maybe", "{place["Birmingham"]}": "yes"}}}}',
            as_="BRONWEN",
        ),
        "# the API's own documentation",
        f"curl -s {_quoted(base_url + '/schema/openapi.json')} | head -c 300",
    ]
    return "\n".join(lines)
