import os

from piccolo.conf.apps import AppConfig

from rendezvous.geo.tables import AnswersRevision, GeocodeCache, PlacesRevision

APP_CONFIG = AppConfig(
    app_name="geo",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[GeocodeCache, PlacesRevision, AnswersRevision],
    migration_dependencies=["rendezvous.events.piccolo_app"],
    commands=[],
)
