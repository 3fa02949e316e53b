"""Publish the outbox's due messages now, or keep doing so (a relay process beside beat)."""

import time

from django.core.management.base import BaseCommand

from outbox.services import messages_relay


class Command(BaseCommand):
    help = "Publish the outbox's due tasks and emails to the broker (--every N to keep going)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=float, default=0, help="Seconds between passes; 0 runs one pass."
        )
        parser.add_argument("--batch", type=int, default=None, help="Messages per transaction.")

    def handle(self, *args, every, batch, **options):
        while True:
            try:
                published = messages_relay(limit=batch)
            except Exception as exc:  # the broker is down: say so and try again
                self.stderr.write(f"Broker not reachable: {exc}")
                if not every:
                    raise SystemExit(1) from None
            else:
                if published or not every:
                    self.stdout.write(f"{published} message(s) published")
            if not every:
                return
            time.sleep(every)
