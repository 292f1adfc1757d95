"""Calendar feeds: each member's private feed address, and when its content last changed."""

from piccolo.columns import BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.accounts.tables import User


class FeedToken(Table, tablename="feed_token"):
    """A member's calendar-feed secret, one per member.

    The secret is HMAC(server key, nonce): it can be shown again on request without being
    stored, and rotating replaces the nonce. Only its SHA-256 is kept, for the lookup.
    """

    id = BigSerial(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False, unique=True)
    nonce = Varchar(length=64)
    token_hash = Varchar(length=64, unique=True)
    # What the feed last held (a hash of its inputs) and when that last changed: the
    # feed's Last-Modified, which must move whenever its content does.
    fingerprint = Varchar(length=64, null=True, default=None)
    changed_at = Timestamptz()
