from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-06T14:42:44:000000"
VERSION = "1.38.0"
DESCRIPTION = "one place option per place and one time option per span in an event; one place vote per option and user; votes by choice"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)

    async def add_indexes():
        # Piccolo has no composite unique constraint: plain SQL that both engines accept.
        # (In a migration of its own: a migration's raw steps run before its tables exist.)
        engine = engine_finder()
        for statement in (
            'CREATE UNIQUE INDEX place_option_event_same_as ON place_option ("event", "same_as")',
            'CREATE UNIQUE INDEX time_option_event_span ON time_option ("event", "starts_at", "ends_at")',
            'CREATE UNIQUE INDEX place_vote_option_user ON place_vote ("option", "user")',
            'CREATE INDEX place_vote_event_user ON place_vote ("event", "user")',
            # A joint poll's plan reads who voted what on each date from the index alone
            # (bench/plan.py: the yes voters and the tally of 500 members, 12 -> 3 ms).
            'CREATE INDEX vote_event_choice ON vote ("event", "choice", "option", "user")',
        ):
            await engine.run_ddl(statement)

    manager.add_raw(add_indexes)
    return manager
