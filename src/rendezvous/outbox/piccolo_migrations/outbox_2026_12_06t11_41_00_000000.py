from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import BigSerial
from piccolo.table import Table


class OutboxItem(Table, tablename="outbox", schema=None):
    id = BigSerial(primary_key=True)


ID = "2026-12-06T11:41:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "an index of pending items by due time"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="outbox", description=DESCRIPTION)

    async def due_index() -> None:
        # Claims look for pending items by due time; finished ones (kept 30 days) stay
        # out of the index, so that they never slow the look-up down. Piccolo's tables
        # declare no partial indexes, hence the SQL (the same on SQLite and PostgreSQL).
        await OutboxItem.raw(
            "CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending'"
        )

    manager.add_raw(due_index)
    return manager
