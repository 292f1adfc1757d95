"""The outbox: side effects (mails, webhook deliveries) waiting to be carried out."""

from piccolo.columns import BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class OutboxItem(Table, tablename="outbox"):
    """One side effect, written in the transaction of the change that causes it.

    `pending` items are due from `next_attempt_at`; a worker that claims one leases it
    until `leased_until`, so that no other worker takes it meanwhile. It ends `done` or
    `failed` (for good), and is deleted some days later.
    """

    id = BigSerial(primary_key=True)
    kind = Varchar(length=50)
    payload = Text()  # JSON
    # Two items with one key are one item: the second is not written (or replaces the
    # first while it is pending, see outbox.queries.schedule).
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)
    state = Varchar(length=10, default="pending")
    attempts = Integer(default=0)
    # indexed for pending items only (the migration's outbox_due)
    next_attempt_at = Timestamptz()
    leased_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None, index=True)
    last_error = Text(null=True, default=None)
    # The other side's status code on the last attempt (HTTP's, for webhook deliveries).
    last_code = Integer(null=True, default=None)
    # Whose item it is ("webhook:12"), so that its owner can list and withdraw its items,
    # and what it is about ("event.confirmed"), for such a listing: the payload of a done
    # item is gone.
    topic = Varchar(length=100, null=True, default=None, index=True)
    label = Varchar(length=50, null=True, default=None)
