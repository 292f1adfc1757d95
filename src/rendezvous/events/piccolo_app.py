import os

from piccolo.conf.apps import AppConfig

from rendezvous.events.tables import Event, PlaceOption, PlaceVote, Rsvp, TimeOption, Vote

APP_CONFIG = AppConfig(
    app_name="events",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Event, TimeOption, PlaceOption, Vote, PlaceVote, Rsvp],
    migration_dependencies=["rendezvous.groups.piccolo_app"],
    commands=[],
)
