"""Mail's secrets: verification links, one-click action links and reply addresses."""

from piccolo.columns import BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.accounts.tables import User
from rendezvous.events.tables import Event


class MailLink(Table, tablename="mail_link"):
    """A secret in a mail that lets its holder do one thing as one member, without a
    login: verify an address, vote or answer for one event, or reply by mail.

    Only the secret's SHA-256 is kept, for the lookup. A verification secret is random
    and lives 7 days. The others are HMAC(server key, nonce) with a random nonce per
    member, event and action (`scope`), so that every mail about one event carries the
    same reply address (calendar apps expect the organizer to stay the same) and links.
    """

    id = BigSerial(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    event = ForeignKey(Event, on_delete=OnDelete.cascade, null=True, default=None)
    action = Varchar(length=40)  # "verify", "reply", "rsvp:yes", "vote:<option id>:maybe"
    scope = Varchar(length=120, null=True, default=None, unique=True)
    nonce = Varchar(length=64, null=True, default=None)
    secret_hash = Varchar(length=64, unique=True)
    email = Varchar(length=254, null=True, default=None)  # the address a "verify" verifies
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
