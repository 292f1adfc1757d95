import os

from piccolo.conf.apps import AppConfig

from rendezvous.outbox.tables import OutboxItem

APP_CONFIG = AppConfig(
    app_name="outbox",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[OutboxItem],
    migration_dependencies=[],
    commands=[],
)
