"""What Piccolo's query builder costs on the hot paths, beside what SQLite takes to answer.

    python bench/query_building.py [--repeat 2000]

Each written-out statement in a slice's queries.py stands where building the same query
with Piccolo cost more than the database took to answer it. This prints, for each, the
time Piccolo takes to build its query (to SQL and arguments, not counting the run) and the
time the written-out statement takes to run on a small SQLite database read the way a
served worker reads it (on its kept read-only connection).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any


def _compiled(queries: Any) -> list[tuple[str, list[Any]]]:
    """Piccolo's queries as the SQL and arguments it would send."""
    queries = queries if isinstance(queries, list) else [queries]
    return [query.querystrings[0].compile_string("sqlite") for query in queries]


async def per_call_us_async(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    await fn()
    started = time.perf_counter()
    for _ in range(repeat):
        await fn()
    return (time.perf_counter() - started) / repeat * 1e6


def per_call_us(fn: Callable[[], object], repeat: int) -> float:
    fn()
    started = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - started) / repeat * 1e6


async def main_async(repeat: int) -> None:
    work = tempfile.mkdtemp(prefix="rendezvous-bench-")
    os.environ["RENDEZVOUS_DATABASE_URL"] = f"sqlite:///{work}/bench.sqlite"
    from rendezvous.accounts.queries import _CALLER, _ME
    from rendezvous.accounts.tables import ApiToken
    from rendezvous.calendars.queries import _FEED_BY_HASH
    from rendezvous.calendars.tables import FeedToken
    from rendezvous.core.db.engines import get_engine
    from rendezvous.core.db.migrations import migrate
    from rendezvous.groups.queries import _GROUP_STATE, _ROLE
    from rendezvous.groups.tables import Group, Membership

    await migrate()
    engine = get_engine()
    await engine.open(pool_size=1)
    try:
        cases: list[tuple[str, Callable[[], Any], str, tuple[Any, ...]]] = [
            (
                "a token's caller (every other route)",
                lambda: ApiToken.select(ApiToken.id, ApiToken.last_used_at, ApiToken.user).where(
                    ApiToken.token_hash == "x"
                ),
                _CALLER,
                ("x",),
            ),
            (
                "a token with its account (GET /me)",
                lambda: ApiToken.select(
                    ApiToken.id,
                    ApiToken.last_used_at,
                    ApiToken.user,
                    ApiToken.user.name,
                    ApiToken.user.email,
                    ApiToken.user.region,
                    ApiToken.user.region_label,
                    ApiToken.user.timezone,
                    ApiToken.user.created_at,
                ).where(ApiToken.token_hash == "x"),
                _ME,
                ("x",),
            ),
            (
                "a member's role (group guard)",
                lambda: (
                    Membership.select(Membership.role)
                    .where((Membership.group == 1) & (Membership.user == 1))
                    .first()
                ),
                _ROLE,
                (1, 1),
            ),
            (
                "a group's revision (venues)",
                lambda: Group.select(Group.created_at, Group.revision).where(Group.id == 1).first(),
                _GROUP_STATE,
                (1,),
            ),
            (
                "a feed with its owner's groups (feeds)",
                lambda: [  # in Piccolo, two queries: the feed with its owner, their groups
                    FeedToken.select(
                        FeedToken.id,
                        FeedToken.fingerprint,
                        FeedToken.changed_at,
                        FeedToken.user.name,
                    ).where(FeedToken.token_hash == "x"),
                    Membership.select(
                        Membership.group.id,
                        Membership.group.name,
                        Membership.group.created_at,
                        Membership.group.revision,
                    ).where(Membership.user == 1),
                ],
                _FEED_BY_HASH,
                ("x",),
            ),
        ]
        print(f"{'query':<40} {'Piccolo builds it':>18} {'SQLite answers it':>18}")
        for label, build, sql, args in cases:
            built = per_call_us(lambda b=build: _compiled(b()), repeat)
            ran = await per_call_us_async(lambda s=sql, a=args: engine.fetch(s, a), repeat)
            print(f"{label:<40} {built:>15.0f} µs {ran:>15.0f} µs")
    finally:
        await engine.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=2000)
    asyncio.run(main_async(parser.parse_args().repeat))


if __name__ == "__main__":
    sys.exit(main())
