"""Groups of friends, their members' roles, and invite codes."""

from piccolo.columns import BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.accounts.tables import User


class Group(Table, tablename="friend_group"):
    id = BigSerial(primary_key=True)
    name = Varchar(length=100)
    description = Text(default="")
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    created_at = Timestamptz()
    # Moved by every write transaction on the group (core.freshness).
    revision = Integer(default=0)
    # Whether members' answers to its events are announced (rsvp.changed): only while
    # something listens, a chat webhook that asked for them, since an announcement per
    # answer costs the RSVP path (bench/rsvp.py). Kept by the listeners' slice.
    answers_announced = Boolean(default=False)


class Membership(Table):
    # (group, user) is unique: see the migration's index.
    id = BigSerial(primary_key=True)
    group = ForeignKey(Group, on_delete=OnDelete.cascade, null=False)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    role = Varchar(length=10)
    joined_at = Timestamptz()


class Invite(Table):
    id = BigSerial(primary_key=True)
    group = ForeignKey(Group, on_delete=OnDelete.cascade, null=False)
    # SHA-256 of the code: the code itself is shown once and never stored.
    code_hash = Varchar(length=64, unique=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True)
    max_uses = Integer()
    uses = Integer(default=0)
    expires_at = Timestamptz()
    created_at = Timestamptz()
