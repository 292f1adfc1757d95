"""Chat webhooks: where a group's news is posted. Deliveries are outbox items."""

from piccolo.columns import Boolean, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from rendezvous.accounts.tables import User
from rendezvous.groups.tables import Group


class Webhook(Table, tablename="webhook"):
    """One destination: a kind (generic, discord, slack, telegram, matrix), its URL and
    the event types it wants. `sealed` holds what must stay secret and cannot be hashed,
    since it is used to send: a generic destination's signing secret, or a Matrix access
    token, encrypted under a key derived from the server key (webhooks.sealing)."""

    id = Serial(primary_key=True)
    group = ForeignKey(Group, on_delete=OnDelete.cascade, null=False, index=True)
    kind = Varchar(length=20)
    url = Text()  # whole: it holds the chat's token (shown masked, never logged)
    events = Text()  # event types, space-separated
    sealed = Text(null=True, default=None)
    telegram_chat_id = Varchar(length=100, null=True, default=None)
    active = Boolean(default=True)
    created_by = ForeignKey(User, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz()
