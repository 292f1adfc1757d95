import os

from piccolo.conf.apps import AppConfig

from rendezvous.accounts.tables import ApiToken, ServerSecret, User

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[User, ApiToken, ServerSecret],
    migration_dependencies=[],
    commands=[],
)
