import os

from piccolo.conf.apps import AppConfig

from rendezvous.webhooks.tables import Webhook

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Webhook],
    migration_dependencies=["rendezvous.accounts.piccolo_app", "rendezvous.groups.piccolo_app"],
    commands=[],
)
