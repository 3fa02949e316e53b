"""Load the national-scale data set (12,000 premises, ~100,000 staff) for benchmarks and
the load run: `python -m benchmarks.seed` against DATABASE_URL.

It lives with the benchmarks, not in the portal: production code never seeds scale data.
Every seeder keys on what is already there, so running it twice loads nothing more.
"""

import importlib
import os
import pkgutil
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")
    import django

    django.setup()
    from django.conf import settings

    import benchmarks
    from benchmarks.scale import refresh_planner_statistics, seed_scale

    if settings.PRODUCTION:
        sys.exit("Scale data is never loaded in production.")
    seed_scale()
    for info in pkgutil.iter_modules(benchmarks.__path__):
        if info.name.startswith("bench_"):
            importlib.import_module(f"benchmarks.{info.name}").seed()
    refresh_planner_statistics()
    print("Scale data set ready.")


if __name__ == "__main__":
    main()
