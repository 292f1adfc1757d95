import os

from piccolo.conf.apps import AppConfig

from rendezvous.mail.tables import MailLink

APP_CONFIG = AppConfig(
    app_name="mail",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[MailLink],
    migration_dependencies=["rendezvous.accounts.piccolo_app", "rendezvous.events.piccolo_app"],
    commands=[],
)
