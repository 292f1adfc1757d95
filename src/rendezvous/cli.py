"""The `rendezvous` command: serve, migrate, worker, mail-in, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import logging.config
import os
import sys
from collections.abc import Callable

from rendezvous.settings import ConfigurationError, get_settings


def _configure_logging() -> None:
    from rendezvous.core.request_log import logging_config

    logging.config.dictConfig(logging_config(get_settings().log_level))


def _migrate(report: Callable[[str], object] = print) -> None:
    from rendezvous.core.db.migrations import migrate

    applied = asyncio.run(migrate())
    for name in applied:
        report(f"applied migration {name}")
    report(f"database is up to date ({len(applied)} migration(s) applied)")


def cmd_migrate(_: argparse.Namespace) -> None:
    _migrate()


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from rendezvous.core.request_log import logging_config

    # Migrate once here, before uvicorn starts its workers, so they never race; a
    # server's output is its log.
    _migrate(logging.getLogger("rendezvous.migrate").info)
    _size_pools(args.workers)
    uvicorn.run(
        "rendezvous.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=get_settings().log_level,
        # JSON lines in every worker; one line per request comes from the app (RequestLog)
        log_config=logging_config(get_settings().log_level),
        access_log=False,
        timeout_graceful_shutdown=30,
    )


def _size_pools(workers: int) -> None:
    """On PostgreSQL, give each worker a pool that fits the server with the others: the
    size found goes to the workers through the environment they inherit."""
    from rendezvous.core.db.engines import get_engine, pool_size_for, usable_connections

    log = logging.getLogger("rendezvous.serve")
    usable = asyncio.run(usable_connections(get_engine()))
    if usable is None:
        return
    if "RENDEZVOUS_DB_POOL_SIZE" in os.environ:
        size = get_settings().db_pool_size
        if workers * size > usable:
            log.warning(
                "%d workers x %d connections exceed the %d the database server accepts",
                workers,
                size,
                usable,
            )
    else:
        size = pool_size_for(workers, usable)
        os.environ["RENDEZVOUS_DB_POOL_SIZE"] = str(size)
        get_settings.cache_clear()  # a single worker runs in this very process
    log.info(
        "database pools: %d worker(s) x up to %d connections (the server accepts %d)",
        workers,
        size,
        usable,
    )


def cmd_worker(_: argparse.Namespace) -> None:
    from rendezvous.worker import run_alone

    _migrate(logging.getLogger("rendezvous.migrate").info)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_alone())


def cmd_mail_in(args: argparse.Namespace) -> None:
    from rendezvous.mail_in import run

    _migrate(logging.getLogger("rendezvous.migrate").info)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(args.host, args.port, args.lmtp))


def cmd_demo(_: argparse.Namespace) -> None:
    from rendezvous.demo import seed

    _migrate()
    print(asyncio.run(seed(get_settings().public_url)))


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rendezvous",
        description="Rendezvous: online friends who want to meet in person.",
        epilog="Configuration comes from RENDEZVOUS_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes (default 1)")
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply pending migrations and exit")
    migrate.set_defaults(handler=cmd_migrate)

    worker = commands.add_parser(
        "worker", help="run the outbox's worker alone (sends mail; every serve runs one too)"
    )
    worker.set_defaults(handler=cmd_worker)

    mail_in = commands.add_parser(
        "mail-in", help="receive calendar apps' replies by mail (SMTP, or LMTP with --lmtp)"
    )
    mail_in.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)"
    )
    mail_in.add_argument("--port", type=int, default=2525, help="TCP port (default 2525)")
    mail_in.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    mail_in.set_defaults(handler=cmd_mail_in)

    demo = commands.add_parser("demo", help="seed a demo group and print a tour")
    demo.set_defaults(handler=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        _configure_logging()
        args.handler(args)
    except ConfigurationError as exc:
        print(f"rendezvous: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
