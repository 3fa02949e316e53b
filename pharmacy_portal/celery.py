"""The Celery application. Every periodic schedule lives in BEAT_SCHEDULE below."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")

app = Celery("pharmacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One place for every periodic job: name -> task and schedule. Tasks are idempotent, so
# a schedule that fires twice (two beats, a restart) does no harm.
BEAT_SCHEDULE = {}
app.conf.beat_schedule = BEAT_SCHEDULE
