"""The Celery application. Every periodic job and its schedule lives in BEAT_SCHEDULE below."""

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, setup_logging, worker_ready
from django_structlog.celery.steps import DjangoStructLogInitStep

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


# One place for every periodic job: name -> task, schedule, and for the jobs page what the
# count the task returns means. Tasks are idempotent, so a schedule that fires twice (two
# beats, a restart) does no harm. Daily jobs marked catch_up run once when beat starts if
# they have not run that day, so a portal started after their hour still runs them.
BEAT_SCHEDULE = {
    # Every area's standing of every premises, with the day's history; NHSmail
    # transitions are emailed from it.
    "standings-daily": {
        "task": "accounts.tasks.refresh_standings",
        "schedule": crontab(hour=6, minute=0),
        "title": "Standings and NHSmail compliance check",
        "counts": "premises checked",
        "catch_up": True,
    },
    "weekly-compliance-digest": {
        "task": "pharmacy_portal.tasks.send_weekly_digests",
        "schedule": crontab(hour=7, minute=45, day_of_week="mon"),
        "title": "Weekly compliance digest to head offices",
        "counts": "digests sent",
    },
    "nhsmail-confirmation-reminders-daily": {
        "task": "nhsmail.tasks.send_confirmation_reminders",
        "schedule": crontab(hour=8, minute=30),
        "title": "NHSmail confirmation reminders",
        "counts": "reminders sent",
        "catch_up": True,
    },
    "records-guidance-review-reminders-weekly": {
        "task": "records.tasks.send_guidance_review_reminders",
        "schedule": crontab(hour=7, minute=0, day_of_week="mon"),
        "title": "Guidance review reminders",
        "counts": "guidance pages due review",
    },
    "eps-low-token-stock-daily": {
        "task": "eps.tasks.check_low_token_stock",
        "schedule": crontab(hour=7, minute=30),
        "title": "EPS low token stock alerts",
        "counts": "premises alerted",
        "catch_up": True,
    },
    "smartcards-certificate-reminders-daily": {
        "task": "smartcards.tasks.send_certificate_reminders",
        "schedule": crontab(hour=7, minute=15),
        "title": "Smartcard certificate reminders",
        "counts": "holders reminded",
        "catch_up": True,
    },
    "smartcards-escalations-every-5-minutes": {
        "task": "smartcards.tasks.escalate_waiting_requests",
        "schedule": crontab(minute="*/5"),
        "title": "Smartcard request escalations",
        "counts": "requests escalated",
    },
}
# Beat queues every job through one task, which records the run (pharmacy_portal/jobs).
app.conf.beat_schedule = {
    name: {
        "task": "pharmacy_portal.jobs.tasks.run_job",
        "schedule": job["schedule"],
        "kwargs": {"name": name},
    }
    for name, job in BEAT_SCHEDULE.items()
}


@beat_init.connect
def _catch_up_daily_jobs(**kwargs):
    from pharmacy_portal.jobs.services import jobs_catch_up

    jobs_catch_up()


@worker_ready.connect
def _close_runs_left_by_this_worker(sender=None, **kwargs):
    from pharmacy_portal.jobs.services import job_runs_interrupted_close

    job_runs_interrupted_close(worker=sender.hostname)
