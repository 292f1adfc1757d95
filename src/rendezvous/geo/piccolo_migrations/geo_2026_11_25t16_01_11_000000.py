from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T16:01:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "one cached answer per geocoder and normalised query"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="geo", description=DESCRIPTION)

    async def add_indexes():
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX geocode_cache_source_query ON geocode_cache ("source", "query")'
        )

    manager.add_raw(add_indexes)
    return manager
