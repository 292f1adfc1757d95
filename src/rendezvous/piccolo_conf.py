"""Piccolo's configuration: the engine built from settings, and the apps."""

from piccolo.conf.apps import AppRegistry

from rendezvous.core.db.engines import create_engine
from rendezvous.settings import get_settings

DB = create_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "rendezvous.outbox.piccolo_app",
        "rendezvous.accounts.piccolo_app",
        "rendezvous.groups.piccolo_app",
        "rendezvous.events.piccolo_app",
        "rendezvous.geo.piccolo_app",
        "rendezvous.calendars.piccolo_app",
        "rendezvous.mail.piccolo_app",
        "rendezvous.webhooks.piccolo_app",
    ]
)
