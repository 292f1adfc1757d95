from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T14:39:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "one membership per user and group; index lookups by user and group"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="groups", description=DESCRIPTION)

    async def add_indexes():
        # Piccolo has no composite unique constraint: plain SQL that both engines accept.
        engine = engine_finder()
        await engine.run_ddl(
            'CREATE UNIQUE INDEX membership_group_user ON membership ("group", "user")'
        )
        await engine.run_ddl('CREATE INDEX membership_user ON membership ("user")')
        await engine.run_ddl('CREATE INDEX invite_group ON invite ("group")')

    manager.add_raw(add_indexes)
    return manager
