"""People, their API tokens, and the installation's own keys."""

from piccolo.columns import BigSerial, Boolean, Float, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table


class User(Table, tablename="app_user"):
    id = BigSerial(primary_key=True)
    name = Varchar(length=100)
    email = Varchar(length=254, null=True, default=None)
    # Nothing but the verification mail goes to an address before its owner confirms it
    # (mail.outgoing); a new address starts unverified.
    email_verified = Boolean(default=False)
    email_notifications = Boolean(default=True)
    region = Varchar(length=200, null=True, default=None)
    # Filled by geocoding the region. The coordinates are private: they feed the
    # meeting-point maths and never leave the server.
    region_label = Varchar(length=300, null=True, default=None)
    latitude = Float(null=True, default=None)
    longitude = Float(null=True, default=None)
    timezone = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    id = BigSerial(primary_key=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)


class ServerSecret(Table, tablename="server_secret"):
    """Keys made once per installation, used when RENDEZVOUS_SECRET_KEY is not set."""

    id = BigSerial(primary_key=True)
    name = Varchar(length=50, unique=True)
    value = Varchar(length=128)
