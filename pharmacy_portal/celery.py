"""The Celery application. Every periodic job and its schedule is in jobs/schedule.py."""

import os

from celery import Celery
from celery.signals import beat_init, setup_logging, worker_ready
from django_structlog.celery.steps import DjangoStructLogInitStep

from jobs.schedule import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmacy_portal.settings")

app = Celery("pharmacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Workers log through django-structlog too: a task's lines carry the request id, user and
# organisation of the request that queued it.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _log_as_the_web_process_does(**kwargs):
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


# Beat queues every job of jobs/schedule.py through one task, which records the run.
app.conf.beat_schedule = {
    name: {
        "task": "jobs.tasks.run_job",
        "schedule": job["schedule"],
        "kwargs": {"name": name},
    }
    for name, job in BEAT_SCHEDULE.items()
}
# The outbox relay is plumbing, not a job with a page of runs: every few seconds it
# publishes the tasks and emails written since (outbox/, docs/decisions/0040-outbox.md).
OUTBOX_RELAY_SECONDS = float(os.environ.get("OUTBOX_RELAY_SECONDS") or 10)
app.conf.beat_schedule["outbox-relay"] = {
    "task": "outbox.tasks.relay",
    "schedule": OUTBOX_RELAY_SECONDS,
    # Beat keeps firing while no worker runs; stale relays are dropped, not piled up.
    "options": {"expires": OUTBOX_RELAY_SECONDS},
}


@beat_init.connect
def _catch_up_daily_jobs(**kwargs):
    from jobs.services import jobs_catch_up

    jobs_catch_up()


@worker_ready.connect
def _close_runs_left_by_this_worker(sender=None, **kwargs):
    from jobs.services import job_runs_interrupted_close

    job_runs_interrupted_close(worker=sender.hostname)
