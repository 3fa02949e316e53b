from django.core.management.base import BaseCommand

from accounts import standings


class Command(BaseCommand):
    help = (
        "Work out every premises' standing in every area again and store it with today's "
        "history (after a deploy or a restore). Tells nobody about changes unless --notify."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Email managers and head offices about NHSmail transitions, as the job does.",
        )

    def handle(self, *args, notify=False, **options):
        results = standings.standings_refresh(notify=notify)
        for key, by_premises in results.items():
            counts = dict.fromkeys(standings.SEVERITY, 0)
            for standing in by_premises.values():
                counts[standing.level] += 1
            words = ", ".join(
                f"{count} {standings.area(key).label_for(level).lower()}"
                for level, count in counts.items()
            )
            self.stdout.write(f"{standings.area(key).label}: {words}")
