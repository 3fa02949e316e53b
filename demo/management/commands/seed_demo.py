from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import standings
from accounts.management.demo import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET_BASE32,
    PERSONAS,
    seed_demo,
    seed_standing_history,
)
from eps import demo as eps_demo
from nhsmail import demo as nhsmail_demo
from records import demo as records_demo
from smartcards import demo as smartcards_demo

# Each area adds its demo picture on top of the accounts one: a function taking the
# personas by email. Every seeder keys on natural keys, so running twice changes nothing.
AREA_SEEDERS = [
    nhsmail_demo.seed,
    records_demo.seed,
    eps_demo.seed,
    smartcards_demo.seed_smartcards,
]


class Command(BaseCommand):
    help = "Load the West Yorkshire demo organisations, premises, staff and persona logins."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data is never loaded in production (DJANGO_ENV=production).")
        with transaction.atomic():
            personas = seed_demo()
            for seed_area in AREA_SEEDERS:
                seed_area(personas)
            # Today's standings, recorded without telling anyone, then history behind them.
            standings.standings_refresh(notify=False)
            seed_standing_history()
        self.stdout.write(self.style.SUCCESS("Demo data loaded. Persona logins:"))
        self.stdout.write(f"  password for every persona: {DEMO_PASSWORD}")
        for email, _name, role in PERSONAS:
            self.stdout.write(f"  {email:<30} {role}")
        self.stdout.write(
            "Two-factor personas share the demo authenticator secret "
            f"{DEMO_TOTP_SECRET_BASE32}: add it to an authenticator app, or run "
            "`make demo-codes` for the current code."
        )
