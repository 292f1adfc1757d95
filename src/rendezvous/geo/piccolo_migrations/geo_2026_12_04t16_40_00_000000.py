from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-04T16:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "find expired cached answers by their age"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="geo", description=DESCRIPTION)

    async def add_indexes():
        await engine_finder().run_ddl(
            'CREATE INDEX geocode_cache_created_at ON geocode_cache ("created_at")'
        )

    manager.add_raw(add_indexes)
    return manager
