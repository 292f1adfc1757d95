"""Geocoding results kept so that a region is looked up once however many members share it,
and the change counters that tell a worker whether its venue suggestions still hold."""

from piccolo.columns import BigInt, BigSerial, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.events.tables import Event
from rendezvous.groups.tables import Group


class GeocodeCache(Table, tablename="geocode_cache"):
    id = BigSerial(primary_key=True)
    # Which geocoder answered (and which data it used): switching geocoders or
    # rebuilding the gazetteer must not serve answers from the old one.
    source = Varchar(length=200)
    query = Varchar(length=400)  # gazetteer.normalise(text): the same key for "Leeds" and " leeds "
    results = Text()  # JSON list of the results, best first; [] when nothing was found
    created_at = Timestamptz()


class PlacesRevision(Table, tablename="places_revision"):
    """Counts the changes to who is in a group and where they live (members joining or
    leaving, a member's region changing), bumped in the changing transaction: with the
    group's id and creation time, what its venue suggestions depend on (geo.suggestions)."""

    id = BigSerial(primary_key=True)
    group = ForeignKey(Group, on_delete=OnDelete.cascade, null=False, unique=True)
    revision = BigInt(default=0)


class AnswersRevision(Table, tablename="answers_revision"):
    """Counts the changes to an event's RSVP statuses, which decide who its venue
    suggestions are for; per event, so that answers to different events of a group never
    wait for each other's counter row."""

    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False, unique=True)
    revision = BigInt(default=0)
