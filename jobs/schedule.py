"""The periodic jobs: what beat runs and when, and what the jobs page says of each.

Read by the Celery app (pharmacy_portal/celery.py) and by the jobs app; nothing here
imports Django, so the Celery app can read it before Django is set up.
"""

from celery.schedules import crontab

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
        "task": "dashboard.tasks.send_weekly_digests",
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
