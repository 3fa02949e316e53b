import importlib
import pkgutil

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

import benchmarks
from benchmarks.scale import refresh_planner_statistics, seed_scale


class Command(BaseCommand):
    help = "Load the national-scale data set (12,000 premises, ~100,000 staff) for benchmarks."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Scale data is never loaded in production.")
        seed_scale()
        for info in pkgutil.iter_modules(benchmarks.__path__):
            if info.name.startswith("bench_"):
                importlib.import_module(f"benchmarks.{info.name}").seed()
        refresh_planner_statistics()
        self.stdout.write(self.style.SUCCESS("Scale data set ready."))
