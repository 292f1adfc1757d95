import os

from piccolo.conf.apps import AppConfig

from rendezvous.groups.tables import Group, Invite, Membership

APP_CONFIG = AppConfig(
    app_name="groups",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[Group, Membership, Invite],
    migration_dependencies=["rendezvous.accounts.piccolo_app"],
    commands=[],
)
