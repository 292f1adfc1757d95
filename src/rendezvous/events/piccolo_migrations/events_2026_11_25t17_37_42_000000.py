import uuid

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-25T17:37:42:000000"
VERSION = "1.38.0"
DESCRIPTION = "a random iCalendar UID for every existing event; UIDs unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def fill_uids():
        # Plain SQL and Python's uuid4: the same on both engines, no extension needed.
        engine = engine_finder()
        rows = await engine.run_querystring(QueryString("SELECT id FROM event WHERE ical_uid = ''"))
        for row in rows:
            await engine.run_querystring(
                QueryString(
                    "UPDATE event SET ical_uid = {} WHERE id = {}", str(uuid.uuid4()), row["id"]
                )
            )
        await engine.run_ddl("CREATE UNIQUE INDEX event_ical_uid ON event (ical_uid)")

    manager.add_raw(fill_uids)
    return manager
