"""`make bench`: build the scale data if needed, then run every benchmarks/bench_*.py.

Uses DATABASE_URL when set (point it at a database kept for benchmarks: the scale data
stays there between runs); otherwise an SQLite file under benchmarks/out/.
"""

import importlib
import os
import pkgutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    if not os.environ.get("DATABASE_URL"):
        (HERE / "out").mkdir(exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{HERE / 'out' / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")
    # Time the work itself, not a cache hit on the figures a previous run worked out.
    # As production runs: with DEBUG on, Django keeps the text of the last 9,000 queries,
    # which for a bulk import is megabytes a statement, and the figures would measure that.
    os.environ["DEBUG"] = "false"
    # A request log line per timed request would bury the figures; warnings still show.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Page timings go through Django's test client, which calls itself "testserver".
    os.environ["ALLOWED_HOSTS"] = ",".join(
        filter(None, [os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost"), "testserver"])
    )
    sys.path.insert(0, str(HERE.parent))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks import harness, scale

    call_command("migrate", verbosity=0)
    modules = [
        importlib.import_module(f"benchmarks.{info.name}")
        for info in pkgutil.iter_modules([str(HERE)])
        if info.name.startswith("bench_")
    ]
    only = set(sys.argv[1:])
    if only:
        # `python benchmarks/run.py imports`: seed and measure only the modules named.
        modules = [m for m in modules if m.__name__.removeprefix("benchmarks.bench_") in only]
    started = time.perf_counter()
    if scale.seed_scale():
        print(f"seeded accounts scale data in {time.perf_counter() - started:.0f}s", flush=True)
    for module in modules:
        started = time.perf_counter()
        if module.seed():
            print(f"seeded {module.__name__} in {time.perf_counter() - started:.0f}s", flush=True)
    scale.refresh_planner_statistics()
    print(f"database: {connection.vendor}", flush=True)
    for module in modules:
        module.measure(harness)


if __name__ == "__main__":
    main()
