from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T14:39:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "index API tokens by user"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="accounts", description=DESCRIPTION)

    async def add_indexes():
        await engine_finder().run_ddl('CREATE INDEX api_token_user ON api_token ("user")')

    manager.add_raw(add_indexes)
    return manager
