"""Meetup proposals, their time and place options, votes and RSVPs."""

from piccolo.columns import (
    BigInt,
    BigSerial,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.accounts.tables import User
from rendezvous.groups.tables import Group


class Event(Table):
    id = BigSerial(primary_key=True)
    group = ForeignKey(Group, on_delete=OnDelete.cascade, null=False)
    title = Varchar(length=200)
    description = Text(default="")
    status = Varchar(length=10, default="proposed")  # proposed | confirmed | cancelled
    timezone = Varchar(length=64)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    # null: no limit on seats
    capacity = Integer(null=True, default=None)
    venue_name = Varchar(length=200, null=True, default=None)
    venue_address = Varchar(length=200, null=True, default=None)
    # Float(null=True) would still default to 0.0: an explicit None keeps "unknown" unknown.
    venue_latitude = Float(null=True, default=None)
    venue_longitude = Float(null=True, default=None)
    # Set when the event is confirmed, from the chosen option.
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    # RFC 5545 SEQUENCE: grows at every change a calendar must pick up.
    sequence = Integer(default=0)
    # RFC 5545 UID: a random UUID, fixed for the event's life, so that calendars update
    # the meetup they already show instead of adding another; unique (see the migration).
    ical_uid = Varchar(length=64)
    # Moved by every write transaction on the event (core.freshness).
    revision = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TimeOption(Table, tablename="time_option"):
    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False)
    position = Integer()  # the order in which the proposer listed the options
    starts_at = Timestamptz()
    ends_at = Timestamptz()


class PlaceOption(Table, tablename="place_option"):
    """A place a proposal asks about beside its times, as a venue is given: coordinates
    as given, or geocoded, or none. (event, same_as) is unique: see the migration's
    index."""

    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False)
    position = Integer()  # the order in which they were added
    name = Varchar(length=200)
    address = Varchar(length=200, null=True, default=None)
    latitude = Float(null=True, default=None)
    longitude = Float(null=True, default=None)
    # The name and address compared as people would (case, accents, spacing, punctuation
    # aside): two options with the same are one place.
    same_as = Varchar(length=420)
    added_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)


class PlaceVote(Table, tablename="place_vote"):
    # (option, user) is unique: see the migration's index.
    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False)
    option = ForeignKey(PlaceOption, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    choice = Varchar(length=5)  # yes | maybe | no


class Vote(Table):
    # (option, user) is unique: see the migration's index.
    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False)
    option = ForeignKey(TimeOption, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    choice = Varchar(length=5)  # yes | maybe | no


class Rsvp(Table):
    # (event, user) is unique: see the migration's index.
    id = BigSerial(primary_key=True)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    status = Varchar(length=5)  # yes | maybe | no
    guests = Integer(default=0)
    note = Text(default="")
    waitlisted = Boolean(default=False)
    # Place in the waitlist: increasing per event in the order people joined it;
    # null unless waitlisted. Positions 1..n are derived from it when read.
    queue_seq = BigInt(null=True, default=None)
    responded_at = Timestamptz()
