import os

from piccolo.conf.apps import AppConfig

from rendezvous.geo.tables import GeocodeCache

APP_CONFIG = AppConfig(
    app_name="geo",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[GeocodeCache],
    migration_dependencies=[],
    commands=[],
)
