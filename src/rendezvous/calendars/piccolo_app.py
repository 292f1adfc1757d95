import os

from piccolo.conf.apps import AppConfig

from rendezvous.calendars.tables import FeedToken

APP_CONFIG = AppConfig(
    app_name="calendars",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[FeedToken],
    migration_dependencies=["rendezvous.accounts.piccolo_app"],
    commands=[],
)
