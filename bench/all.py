"""The whole benchmark suite in one command: every benchmark against `rendezvous serve`
on SQLite and PostgreSQL, each beside a bare Litestar endpoint measured in the same run.

    python bench/all.py [--pg-server postgresql://...] [--seconds 10]

Runs, one after another: reads.py (GET /me, /groups/{id}, /events/{id}, also beside a
one-query endpoint, with tail verdicts; 1 and 2 workers), rsvp.py (RSVP writes; 1 and 2
workers), venues.py (venue suggestions), plan.py (joint polls' plans; warm and cold),
feeds.py (calendar feeds; cold, warm, 304), mail.py (the outbox on a confirm, sending,
commit to arrival; beside the commit before mail), webhooks.py (deliveries a second,
destinations on a proposal, commit to arrival), then the pure-code ones
(meeting_point.py, gazetteer.py). Each prints its own table of figures beside the bare
endpoint's. Takes about 30 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# take --seconds and --pg-server (mail.py and webhooks.py run by counts and ignore --seconds)
SERVED = ["reads.py", "rsvp.py", "venues.py", "plan.py", "feeds.py", "mail.py", "webhooks.py"]
PURE = ["meeting_point.py", "gazetteer.py"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pg-server", default=None, help="as each benchmark's --pg-server")
    args = parser.parse_args()
    options = ["--seconds", str(args.seconds)]
    if args.pg_server:
        options += ["--pg-server", args.pg_server]
    failed = []
    for script, extra in [*((s, options) for s in SERVED), *((s, []) for s in PURE)]:
        print(f"\n===== {script} =====", flush=True)
        started = time.monotonic()
        status = subprocess.run([sys.executable, str(HERE / script), *extra], check=False)
        print(f"===== {script}: {time.monotonic() - started:.0f} s =====", flush=True)
        if status.returncode != 0:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
