from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-25T15:05:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "one vote per option and user, one RSVP per event and user; lookup indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_indexes():
        # Piccolo has no composite unique constraint: plain SQL that both engines accept.
        engine = engine_finder()
        for statement in (
            'CREATE INDEX event_group ON event ("group", "id")',
            'CREATE INDEX time_option_event ON time_option ("event")',
            'CREATE UNIQUE INDEX vote_option_user ON vote ("option", "user")',
            'CREATE INDEX vote_event_user ON vote ("event", "user")',
            'CREATE UNIQUE INDEX rsvp_event_user ON rsvp ("event", "user")',
            'CREATE INDEX rsvp_user ON rsvp ("user")',
        ):
            await engine.run_ddl(statement)

    manager.add_raw(add_indexes)
    return manager
