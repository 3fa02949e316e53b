"""The Celery application. Every periodic schedule lives in BEAT_SCHEDULE below."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")

app = Celery("pharmacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One place for every periodic job: name -> task and schedule. Tasks are idempotent, so
# a schedule that fires twice (two beats, a restart) does no harm.
BEAT_SCHEDULE = {
    # Every area's standing of every premises, with the day's history; NHSmail
    # transitions are emailed from it.
    "standings-daily": {
        "task": "accounts.tasks.refresh_standings",
        "schedule": crontab(hour=6, minute=0),
    },
    "weekly-compliance-digest": {
        "task": "pharmacy_portal.tasks.send_weekly_digests",
        "schedule": crontab(hour=7, minute=45, day_of_week="mon"),
    },
    "nhsmail-confirmation-reminders-daily": {
        "task": "nhsmail.tasks.send_confirmation_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    "records-guidance-review-reminders-weekly": {
        "task": "records.tasks.send_guidance_review_reminders",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
    },
    "eps-low-token-stock-daily": {
        "task": "eps.tasks.check_low_token_stock",
        "schedule": crontab(hour=7, minute=30),
    },
    "smartcards-certificate-reminders-daily": {
        "task": "smartcards.tasks.send_certificate_reminders",
        "schedule": crontab(hour=7, minute=15),
    },
    "smartcards-escalations-every-5-minutes": {
        "task": "smartcards.tasks.escalate_waiting_requests",
        "schedule": crontab(minute="*/5"),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE
