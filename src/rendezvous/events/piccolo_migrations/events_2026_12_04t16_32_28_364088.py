from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T16:32:28:364088"
VERSION = "1.38.0"
DESCRIPTION = "calendar feeds follow the group revision; calendar_revision goes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    manager.drop_table(class_name="CalendarRevision", tablename="calendar_revision", schema=None)

    return manager
