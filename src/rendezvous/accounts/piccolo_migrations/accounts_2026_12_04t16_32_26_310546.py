from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-04T16:32:26:310546"
VERSION = "1.38.0"
DESCRIPTION = "feed secrets move to the calendars app"


async def forwards():
    # Faked: the table stays where it is and the calendars app takes it over (its first
    # migration, faked as well). Only Piccolo's record of which app owns it changes.
    manager = MigrationManager(
        migration_id=ID, app_name="accounts", description=DESCRIPTION, fake=True
    )

    manager.drop_table(class_name="FeedToken", tablename="feed_token", schema=None)

    return manager
